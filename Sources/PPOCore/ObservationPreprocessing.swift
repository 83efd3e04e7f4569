/// How a raw observation becomes the network's input — one rule for collection (worker and one-process loop), the
/// update and evaluation: standardised with the observation statistics of the policy's version, then clipped to
/// ±`clip` (`observation_clip`); passed through unchanged when the run does not normalise observations.
public struct ObservationPreprocessing: Sendable, Equatable {
    /// The statistics of the policy's version (nil: observations are not normalised).
    public var normalizer: RunningMeanStd?
    /// |input| ≤ clip after standardising.
    public var clip: Double

    public init(normalizer: RunningMeanStd?, clip: Double = 10) {
        self.normalizer = normalizer
        self.clip = clip
    }

    /// Raw observations as they are (no statistics).
    public static let none = ObservationPreprocessing(normalizer: nil)

    /// Preprocesses `rows` observations at `x` in place.
    @inline(__always)
    public func apply(_ x: UnsafeMutablePointer<Float>, rows: Int) {
        normalizer?.normalize(x, rows: rows, clip: clip)
    }
}

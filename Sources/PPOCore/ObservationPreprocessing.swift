/// How a raw observation becomes the network's input — one rule for collection (worker and one-process loop), the
/// update and evaluation: standardised with the observation statistics of the policy's version, then clipped to
/// ±`clip` (`observation_clip`); passed through unchanged when the run does not normalise observations. An
/// image's values (`imageColumns`) are never standardised: the network scales them itself.
public struct ObservationPreprocessing: Sendable, Equatable {
    /// The statistics of the policy's version (nil: observations are not normalised).
    public var normalizer: RunningMeanStd?
    /// |input| ≤ clip after standardising.
    public var clip: Double
    /// The flat observation's image values, which stay as they are (nil: none).
    public var imageColumns: Range<Int>?

    public init(normalizer: RunningMeanStd?, clip: Double = 10, imageColumns: Range<Int>? = nil) {
        self.normalizer = normalizer
        self.clip = clip
        self.imageColumns = imageColumns
    }

    /// The preprocessing of `network`'s observations with these statistics and clip.
    public init(normalizer: RunningMeanStd?, clip: Double, network: NetworkSpec) {
        self.init(normalizer: normalizer, clip: clip, imageColumns: network.imageColumns)
    }

    /// Raw observations as they are (no statistics).
    public static let none = ObservationPreprocessing(normalizer: nil)

    /// Preprocesses `rows` observations at `x` in place.
    @inline(__always)
    public func apply(_ x: UnsafeMutablePointer<Float>, rows: Int) {
        normalizer?.normalize(x, rows: rows, clip: clip, skipping: imageColumns)
    }
}

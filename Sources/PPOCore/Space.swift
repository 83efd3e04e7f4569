/// An observation or action space, as in Gymnasium: `Discrete(n)`, a one-dimensional `Box(low, high)` (an N-D Box
/// is flattened), `MultiDiscrete(nvec)` (flattened, every component starting at 0) and `MultiBinary(n)`.
public enum Space: Sendable, Equatable, Hashable, Codable, CustomStringConvertible {
    /// Integers `0..<n`.
    case discrete(Int)
    /// A vector of `low.count` floats with per-dimension bounds (±infinity allowed).
    case box(low: [Float], high: [Float])
    /// `nvec.count` integers, component i in `0..<nvec[i]`.
    case multiDiscrete([Int])
    /// `n` bits, each 0 or 1.
    case multiBinary(Int)

    /// Number of floats an element of this space occupies in a flat vector (1 for a discrete action, one per
    /// component of a MultiDiscrete or MultiBinary one).
    public var flatSize: Int {
        switch self {
        case .discrete: 1
        case .box(let low, _): low.count
        case .multiDiscrete(let nvec): nvec.count
        case .multiBinary(let n): n
        }
    }

    /// Whether elements are integers (Discrete, MultiDiscrete, MultiBinary) rather than floats (Box).
    public var isDiscrete: Bool {
        if case .box = self { return false }
        return true
    }

    /// The number of values component `index` of an element can take (nil for a Box).
    public func choices(at index: Int) -> Int? {
        switch self {
        case .discrete(let n): n
        case .box: nil
        case .multiDiscrete(let nvec): nvec[index]
        case .multiBinary: 2
        }
    }

    /// Whether `value` is an element of this space (finite, in range; integral for the discrete kinds).
    public func contains(_ value: [Float]) -> Bool {
        guard value.count == flatSize else { return false }
        if case .box(let low, let high) = self {
            for i in 0..<value.count where !(value[i].isFinite && value[i] >= low[i] && value[i] <= high[i]) {
                return false
            }
            return true
        }
        for (i, v) in value.enumerated() {
            guard v.isFinite, v == v.rounded(), v >= 0, let n = choices(at: i), Int(v) < n else { return false }
        }
        return true
    }

    public var description: String {
        switch self {
        case .discrete(let n): "Discrete(\(n))"
        case .box(let low, let high): "Box(\(low.count), low: \(low), high: \(high))"
        case .multiDiscrete(let nvec): "MultiDiscrete(\(nvec))"
        case .multiBinary(let n): "MultiBinary(\(n))"
        }
    }
}

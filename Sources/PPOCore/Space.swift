/// An observation or action space, as in Gymnasium (`Discrete(n)` and one-dimensional `Box(low, high)`).
public enum Space: Sendable, Equatable, Hashable, Codable, CustomStringConvertible {
    /// Integers `0..<n`.
    case discrete(Int)
    /// A vector of `low.count` floats with per-dimension bounds (±infinity allowed).
    case box(low: [Float], high: [Float])

    /// Number of floats an element of this space occupies in a flat vector (1 for a discrete action).
    public var flatSize: Int {
        switch self {
        case .discrete: 1
        case .box(let low, _): low.count
        }
    }

    public var isDiscrete: Bool {
        if case .discrete = self { return true }
        return false
    }

    /// Whether `value` is an element of this space (finite, in range; integral for `Discrete`).
    public func contains(_ value: [Float]) -> Bool {
        switch self {
        case .discrete(let n):
            guard value.count == 1, let v = value.first, v.isFinite, v == v.rounded() else { return false }
            return v >= 0 && Int(v) < n
        case .box(let low, let high):
            guard value.count == low.count else { return false }
            for i in 0..<value.count where !(value[i].isFinite && value[i] >= low[i] && value[i] <= high[i]) {
                return false
            }
            return true
        }
    }

    public var description: String {
        switch self {
        case .discrete(let n): "Discrete(\(n))"
        case .box(let low, let high): "Box(\(low.count), low: \(low), high: \(high))"
        }
    }
}

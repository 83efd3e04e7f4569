extension Double {
    /// The value, or nil if it is NaN or infinite (JSON has no such numbers).
    public var finite: Double? { isFinite ? self : nil }
}

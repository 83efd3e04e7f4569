extension Duration {
    /// The duration in whole nanoseconds (for APIs that take an integer count: NIO's `TimeAmount`, sleeps).
    public var wholeNanoseconds: Int64 {
        components.seconds * 1_000_000_000 + components.attoseconds / 1_000_000_000
    }
}

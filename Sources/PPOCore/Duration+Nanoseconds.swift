extension Duration {
    /// The duration in whole nanoseconds (for APIs that take an integer count: NIO's `TimeAmount`, sleeps).
    public var wholeNanoseconds: Int64 {
        components.seconds * 1_000_000_000 + components.attoseconds / 1_000_000_000
    }

    /// Whole nanoseconds, never negative (deadlines on an unsigned clock).
    public var wholeNanosecondsUnsigned: UInt64 { UInt64(max(0, wholeNanoseconds)) }

    /// The duration in seconds, as a Double (for messages and flags).
    public var secondsValue: Double { Double(wholeNanoseconds) / 1e9 }
}

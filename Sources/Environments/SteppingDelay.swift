import PPOCore
#if canImport(Glibc)
import Glibc
#endif

/// A benchmarking tool: environments whose every step (one step of all `count` envs together, as a batched
/// remote or GPU simulator answers) takes at least `delay` of wall time without using the CPU, so the scaling of
/// many workers against one learner can be measured on one machine (`ppo-worker --step-delay`). The thread sleeps
/// until the step's deadline (CLOCK_MONOTONIC, absolute), so the time the inner step took counts towards it.
public struct SteppingDelay: VectorEnvironment {
    public private(set) var inner: any VectorEnvironment
    public let delay: Duration

    public init(_ inner: any VectorEnvironment, delay: Duration) {
        self.inner = inner
        self.delay = delay
    }

    public var spec: EnvironmentSpec { inner.spec }
    public var count: Int { inner.count }
    public var state: VectorStepState { inner.state }

    public mutating func step(actions: UnsafeBufferPointer<Float>) throws(EnvironmentError) {
        let deadline = Self.monotonicNanoseconds() + delay.wholeNanoseconds
        try inner.step(actions: actions)
        Self.sleep(until: deadline)
    }

    public mutating func reset(seeding seed: UInt64) throws(EnvironmentError) {
        try inner.reset(seeding: seed)
    }

    static func monotonicNanoseconds() -> Int64 {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return Int64(now.tv_sec) * 1_000_000_000 + Int64(now.tv_nsec)
    }

    /// Sleeps (no spinning) until the monotonic clock reads `deadline`; returns at once if it is past.
    static func sleep(until deadline: Int64) {
        var target = timespec(tv_sec: Int(deadline / 1_000_000_000), tv_nsec: Int(deadline % 1_000_000_000))
        while clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &target, nil) == EINTR {}
    }
}

import Foundation
import PPOCore

/// What the worker does after a connection ended, as a value with no I/O: retry after a delay (exponential
/// backoff with full jitter, reset by a connection that got as far as the Welcome), restart a failed environment
/// at once (up to `maxEnvironmentFailures` in a row, reset by a delivered batch), exit when the run is finished,
/// or fail for good.
struct ReconnectPolicy {
    enum Decision: Equatable {
        /// Connect again after `after`; `reason` is the ending in words.
        case retry(after: Duration, reason: String)
        /// The environment failed (`count` times in a row): connect again at once with a new one.
        case restartEnvironment(count: Int, reason: String)
        /// The run is finished.
        case exit
        /// Stop trying.
        case fail(WorkerError)
    }

    let initialBackoff: Duration
    let maxBackoff: Duration
    let maxAttempts: Int?
    let maxEnvironmentFailures: Int
    /// Failed connections in a row, and failed environments in a row.
    private(set) var failures = 0
    private(set) var environmentFailures = 0
    private var rng: RNG

    init(options: WorkerOptions, seed: UInt64) {
        initialBackoff = options.initialBackoff
        maxBackoff = options.maxBackoff
        maxAttempts = options.maxAttempts
        maxEnvironmentFailures = options.maxEnvironmentFailures
        rng = RNG(seed: seed)
    }

    /// The decision after `ending`; `delivered`: the session sent at least one batch (the environment works).
    mutating func decide(_ ending: SessionEnding, delivered: Bool) -> Decision {
        if case .reconnect(_, true) = ending { failures = 0 }
        if delivered { environmentFailures = 0 }
        switch ending {
        case .finished:
            return .exit
        case .refused(let why):
            return .fail(.refused(why))
        case .unusable(let why):
            return .fail(.local(why))
        case .environmentFailed(let fault):
            environmentFailures += 1
            guard environmentFailures < maxEnvironmentFailures else {
                return .fail(.local("the environment failed \(environmentFailures) times in a row; the last time: \(fault)"))
            }
            return .restartEnvironment(count: environmentFailures, reason: fault.description)
        case .reconnect(let why, _):
            failures += 1
            if let maxAttempts, failures >= maxAttempts {
                return .fail(.unreachable("\(why) (\(failures) attempts)"))
            }
            return .retry(after: backoff(), reason: why)
        }
    }

    /// The delay before attempt `failures + 1`: the initial backoff doubled per failure, capped, times a uniform
    /// draw in [0.5, 1).
    private mutating func backoff() -> Duration {
        let base = Double(initialBackoff.wholeNanoseconds) * pow(2, Double(min(failures - 1, 16)))
        let capped = min(base, Double(maxBackoff.wholeNanoseconds))
        return .nanoseconds(Int64(capped * (0.5 + 0.5 * rng.uniformDouble())))
    }
}

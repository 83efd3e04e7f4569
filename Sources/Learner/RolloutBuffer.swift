import PPOCore

/// The accepted batches of the rollout being filled, in arrival order, until an update takes them.
struct RolloutBuffer {
    private var batches: [TransitionBatch] = []

    /// Transitions held.
    var transitions: Int { batches.reduce(0) { $0 + $1.count } }

    mutating func append(_ batch: TransitionBatch) { batches.append(batch) }

    /// What an update trains on: the batches, their transitions, and how many of them were collected how many
    /// versions behind `trainerVersion` (the gate admitted at most the policy lag), by lag.
    struct Taken {
        var batches: [TransitionBatch]
        var transitions: Int
        var lags: [String: Int]
    }

    /// Empties the buffer for an update trained from `trainerVersion`.
    mutating func take(trainerVersion: UInt64) -> Taken {
        defer { batches = [] }
        let lags = Dictionary(batches.map { ("\(trainerVersion - $0.policyVersion)", $0.count) }, uniquingKeysWith: +)
        return Taken(batches: batches, transitions: transitions, lags: lags)
    }

    /// Empties the buffer without training (the run ended): the transitions dropped.
    mutating func drop() -> Int {
        defer { batches = [] }
        return transitions
    }
}

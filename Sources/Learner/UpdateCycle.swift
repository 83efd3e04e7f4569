import NIOCore
import PPOCore
import Training
import Wire

/// The learner's update cycle: the rollout being filled, the policy the workers act with, and what follows each
/// step — one update or evaluation at a time, the next update as soon as its rollout is full, or the run's end.
/// A value with no socket and no task: `LearnerCore` starts what it says (tested alone in `UpdateCycleTests`).
struct UpdateCycle {
    /// What runs now: nothing, an update, or the greedy evaluation after one.
    enum Phase: Equatable { case idle, updating, evaluating }

    /// What the learner does next.
    enum Next: Equatable {
        /// Nothing: the rollout is not full, an update or evaluation runs, or the run is stopping.
        case wait
        /// Start the next update.
        case update
        /// The run is over, for this reason.
        case end(RunEnd)
    }

    private(set) var phase = Phase.idle
    /// The policy the workers act with, and the same as a frame, encoded (and compressed) once for every worker.
    private(set) var weights: Weights
    private(set) var weightsFrame: ByteBuffer
    private var rollout = RolloutBuffer()

    init(weights: Weights) {
        self.weights = weights
        weightsFrame = Frame.encode(.weights(weights))
    }

    /// Keeps a batch the gate accepted; `.update` when it completed the rollout and nothing runs (otherwise the
    /// full rollout waits for the update or evaluation in progress).
    mutating func collect(_ batch: TransitionBatch, rolloutComplete: Bool) -> Next {
        rollout.append(batch)
        return rolloutComplete && phase == .idle ? .update : .wait
    }

    /// Starts an update: it takes the rollout, trained from `trainerVersion`.
    mutating func beginUpdate(trainerVersion: UInt64) -> RolloutBuffer.Taken {
        phase = .updating
        return rollout.take(trainerVersion: trainerVersion)
    }

    /// The update ended with these weights (`frame` encodes them); `evaluating` when its evaluation now runs.
    mutating func updated(_ weights: Weights, frame: ByteBuffer, evaluating: Bool) {
        self.weights = weights
        weightsFrame = frame
        phase = evaluating ? .evaluating : .idle
    }

    /// The evaluation after an update ended.
    mutating func evaluated() { phase = .idle }

    /// After an update and its evaluation: the run's end when `runEnd` says so; otherwise the next update when its
    /// rollout is full (with a policy lag, or while the evaluation ran, it may have filled meanwhile) and the run
    /// still trains (once stopping, a full rollout is not trained: its transitions count as unfinished).
    func next(runEnd: RunEnd?, rolloutComplete: Bool, training: Bool) -> Next {
        if let runEnd { return .end(runEnd) }
        return rolloutComplete && training && phase == .idle ? .update : .wait
    }

    /// Empties the rollout without training (the run ended): the transitions dropped.
    mutating func dropUnfinished() -> Int { rollout.drop() }
}

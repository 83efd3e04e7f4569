import Training
import Wire

/// A learner's run from start to end, as one state: `training`, then `stopping` once asked to end (the update in
/// progress finishes, a checkpoint is written), then `ended` with the Goodbye every worker is told — after the last
/// update or a target (`RunEnd`: reason `finished`, and a worker that connects later exits) or after a stop
/// (`shuttingDown`: workers reconnect to the next learner). It also holds who waits for the end.
struct RunLifecycle {
    enum State: Equatable {
        case training
        case stopping
        case ended(Goodbye)
    }

    private(set) var state: State = .training
    private var waiters: [CheckedContinuation<Void, Never>] = []

    /// A run that has already ended (a finished run resumed only to serve its status).
    init(endedWith goodbye: Goodbye? = nil) {
        if let goodbye { state = .ended(goodbye) }
    }

    /// A run resumed from `checkpoint` (nil: a new run): ended already when the checkpoint's run is finished
    /// (`ResumeRules`, `--serve-after-finish`: nothing to train), training otherwise.
    init(resuming checkpoint: Checkpoint?, run: RunConfiguration, evaluations: EvaluationHistory) {
        if let checkpoint, ResumeRules.isFinished(checkpoint, run: run, evaluations: evaluations) {
            self.init(endedWith: Goodbye(reason: .finished, message: RunEnd.allUpdates.goodbye))
        } else {
            self.init()
        }
    }

    var isTraining: Bool { state == .training }
    var isStopping: Bool { state == .stopping }
    var hasEnded: Bool { if case .ended = state { true } else { false } }

    /// The Goodbye of an ended run.
    var goodbye: Goodbye? { if case .ended(let g) = state { g } else { nil } }

    /// Whether the run finished (all updates, or a target), rather than being stopped.
    var isFinished: Bool { goodbye?.reason == .finished }

    /// `training`, `stopping` (asked to end, finishing its update), `finished` (all updates made, or a target
    /// reached) or `stopped`: the status page's and `/readyz`'s word.
    var label: String {
        switch state {
        case .training: "training"
        case .stopping: "stopping"
        case .ended(let g): g.reason == .finished ? "finished" : "stopped"
        }
    }

    /// What the run's state says to a worker's Hello.
    enum HelloAnswer: Equatable {
        /// Training: a session, if the Hello passes its own checks.
        case admit
        /// The run finished: the worker is told so and exits instead of reconnecting.
        case goodbye(Goodbye)
        /// Stopping, or stopped: the worker retries later (a restarted learner will take it).
        case refuse(WireError)
    }

    var helloAnswer: HelloAnswer {
        if isFinished, let goodbye { return .goodbye(goodbye) }
        return isTraining ? .admit : .refuse(WireError(.shuttingDown, "the learner is stopping"))
    }

    /// Asked to end; false when the run is not training (already stopping, or ended).
    mutating func requestStop() -> Bool {
        guard isTraining else { return false }
        state = .stopping
        return true
    }

    /// Ends the run with `goodbye`; the waiters to resume, or nil when it had already ended.
    mutating func end(_ goodbye: Goodbye) -> [CheckedContinuation<Void, Never>]? {
        guard !hasEnded else { return nil }
        state = .ended(goodbye)
        defer { waiters = [] }
        return waiters
    }

    /// How many wait for the end.
    var waiterCount: Int { waiters.count }

    /// Resumes `waiter` when the run ends (at once if it has).
    mutating func wait(_ waiter: CheckedContinuation<Void, Never>) {
        if hasEnded { waiter.resume() } else { waiters.append(waiter) }
    }
}

import Dispatch
import Environments
import Foundation
import GymBridge
import Logging
import NIOConcurrencyHelpers
import NIOCore
import PPOCore
import Training
import Wire

/// The learner's orchestration: it dispatches each worker's messages and starts each update and evaluation. What
/// it decides with has types of its own: the sessions and the Hello checks (`SessionTable`), the grants and the
/// on-policy gate (`Scheduler`), the rollout and what follows an update (`UpdateCycle`), the run's state
/// (`RunLifecycle`) and its end (`RunEnd`), the counters and the status document (`LearnerTelemetry`), the
/// evaluations (`LearnerEvaluations`); the update itself is the `TrainingJob`'s. Connection tasks call into it;
/// it answers with messages put on each session's outbound queue, so it never waits on a socket.
actor LearnerCore {
    let options: LearnerOptions
    let spec: EnvironmentSpec
    private let job: TrainingJob
    /// The greedy evaluations while training (`eval_every`).
    private var evaluations: LearnerEvaluations
    /// The update or the evaluation in progress (`cycle.phase`), awaited by `stop()`.
    private var update: Task<Void, Never>?
    /// The workers' sessions, their grants and the on-policy gate.
    private var sessions: WorkerSessions
    private var cycle: UpdateCycle
    /// The counters, the returns, the workers seen, the curve.
    private var telemetry: LearnerTelemetry
    private let logger: Logger
    private var lifecycle: RunLifecycle

    init(options: LearnerOptions, logger: Logger) throws {
        self.options = options
        self.logger = logger
        if let url = options.checkpoints.url { Checkpoint.removeAbandonedWrites(of: url, logger: logger) }
        spec = try EnvironmentCatalog.spec(for: options.run.environment, bridge: options.bridge)
        job = try TrainingJob(options: options, spec: spec, logger: logger)
        evaluations = LearnerEvaluations(options: options)
        telemetry = LearnerTelemetry(resume: options.resume, version: job.version, updates: job.updates, maxPolicyLag: options.maxPolicyLag,
                                     evaluations: options.evaluationHistory, evaluates: evaluations.job != nil)
        sessions = WorkerSessions(options: options, spec: spec, version: job.version, rolloutSize: job.config.rolloutSteps, logger: logger)
        signature = sessions.signature
        cycle = UpdateCycle(weights: job.weights())
        lifecycle = RunLifecycle(resuming: options.resume, run: options.run, evaluations: options.evaluationHistory)
    }

    var totalUpdates: Int { options.run.totalUpdates }

    /// §4.11 signature of the run's environment, as workers must compute it for theirs.
    let signature: UInt64
    /// Whether the run has ended (finished or stopped).
    var isFinished: Bool { lifecycle.hasEnded }

    /// Waits until the run has made all its updates (or was stopped).
    func waitUntilFinished() async {
        if lifecycle.hasEnded { return }
        await withCheckedContinuation { lifecycle.wait($0) }
    }

    // MARK: Sessions

    /// Answers a Hello (§3.2): from the run's state, then from the Hello's own checks; an accepted one gets a
    /// session, the Welcome and the Weights.
    func register(hello: Hello, peer: String, outbound: AsyncStream<OutboundFrame>.Continuation) -> SessionRegistration {
        switch lifecycle.helloAnswer {
        case .admit: break
        case .goodbye(let goodbye): return .ended(goodbye)
        case .refuse(let error): return .refused(error)
        }
        // What every worker is told of the run (§4.2), at the wire version the session speaks.
        let welcome = {
            Welcome(version: $0, options: self.options, spec: self.spec, job: self.job, weights: self.cycle.weights, signature: self.signature)
        }
        return sessions.register(hello, peer: peer, outbound: outbound, welcome: welcome, weights: cycle.weightsFrame, telemetry: &telemetry)
    }

    /// A connection ended: its open grants return to the pool.
    func unregister(session id: Int, reason: String) {
        sessions.unregister(id, reason: reason, training: lifecycle.isTraining, telemetry: &telemetry)
    }

    /// Closes the connections that hold a grant older than `grantTimeout`; called every second by the server.
    func expireGrants(now: ContinuousClock.Instant = .now) {
        sessions.expireGrants(now: now, training: lifecycle.isTraining, telemetry: &telemetry)
    }

    func countRejected(_ error: WireError) { telemetry.rejected(error) }

    /// Bytes received on every connection (counted on the event loop, read here).
    nonisolated let bytesIn = NIOLockedValueBox(0)

    /// The counters now.
    func currentMetrics() -> LearnerMetrics {
        telemetry.metricsNow(scheduler: sessions.scheduler, bytesIn: bytesIn.withLockedValue { $0 })
    }

    // MARK: Messages

    /// A worker's message: `WorkerSessions` answers it; a batch the gate accepted goes into the rollout.
    func handle(_ message: Message, session id: Int) -> MessageVerdict {
        let (verdict, accepted) = sessions.handle(
            message, session: id, latest: cycle.weights.policyVersion, training: lifecycle.isTraining, ended: lifecycle.hasEnded,
            telemetry: &telemetry)
        if let accepted { collect(accepted) }
        return verdict
    }

    /// Keeps an accepted batch for the update, and starts the update when it completed the rollout.
    private func collect(_ b: TransitionBatch) {
        let complete = sessions.scheduler.isComplete
        if cycle.collect(b, rolloutComplete: complete) == .update {
            startUpdate()
        } else if complete {
            evaluations.rolloutFilled()
        }
    }

    // MARK: Training

    private func startUpdate() {
        let taken = cycle.beginUpdate(trainerVersion: sessions.scheduler.version)
        let number = telemetry.metrics.updates + 1
        sessions.scheduler.beginUpdate(isLast: number >= totalUpdates)
        let envSteps = telemetry.metrics.envSteps + taken.transitions
        let job = self.job
        let total = totalUpdates
        let returns = telemetry.recent
        update = Task {
            let outcome = await job.update(on: taken.batches, update: number, of: total, envSteps: envSteps, recentReturns: returns)
            self.finishUpdate(outcome, transitions: taken.transitions, lags: taken.lags)
        }
        // With a policy lag, the workers collect the next rollout meanwhile.
        sessions.offerGrants(training: lifecycle.isTraining)
    }

    private func finishUpdate(_ outcome: TrainingJob.Outcome, transitions: Int, lags: [String: Int]) {
        telemetry.count(outcome, transitions: transitions, lags: lags)
        sessions.scheduler.advance(to: outcome.weights.policyVersion)
        options.progress(telemetry.progress(outcome.report.statistics, totalUpdates: totalUpdates, workers: sessions.count))
        // No rollout follows an update that ends the run.
        if runEnd == nil {
            sessions.broadcast(outcome.frame)
        }
        // The workers collect the next rollout with the new weights while the policy is judged.
        update = evaluations.start(outcome.evaluationSnapshot, then: { await self.finishEvaluation($0) })
        cycle.updated(outcome.weights, frame: outcome.frame, evaluating: update != nil)
        if update == nil { continueAfterUpdate() }
    }

    private func finishEvaluation(_ outcome: EvaluationJob.Outcome) {
        update = nil
        cycle.evaluated()
        telemetry.evaluated(outcome, waited: evaluations.ended(outcome))
        if let point = outcome.point { options.evaluated(point) }
        continueAfterUpdate()
    }

    /// After an update and its evaluation, what `UpdateCycle.next` says: the next update, or the run's end (a
    /// target that ended it before its last update has that update's checkpoint written now).
    private func continueAfterUpdate() {
        let next = cycle.next(runEnd: runEnd, rolloutComplete: sessions.scheduler.isComplete, training: lifecycle.isTraining)
        if next == .update { startUpdate() }
        guard case .end(let end) = next else { return }
        if end != .allUpdates {
            telemetry.note(end)
            logger.info("\(end.line(update: telemetry.metrics.updates, of: totalUpdates, recent: telemetry.recent, evaluations: evaluations.history))")
            telemetry.metrics.checkpoints.note(job.writeFinalCheckpoint(envSteps: telemetry.metrics.envSteps, recentReturns: telemetry.recent))
        }
        finish(reason: .finished, message: end.goodbye)
    }

    /// Whether the run is over after the updates and evaluations made so far (`RunEnd`).
    private var runEnd: RunEnd? { RunEnd.check(options.run, updates: telemetry.metrics.updates, recent: telemetry.recent, evaluations: evaluations.history) }

    // MARK: Ending

    /// Stops the run: no more grants; waits for an update in progress, checkpoints, says Goodbye.
    func stop() async {
        guard lifecycle.requestStop() else { return }
        // Batches of grants issued before the stop may still complete a rollout and start an update while this
        // waits: wait until none runs, so the checkpoint never reads the trainer during an update.
        while let running = update { await running.value }
        guard !lifecycle.hasEnded else { return }  // that update was the last one
        telemetry.metrics.checkpoints.note(job.writeFinalCheckpoint(envSteps: telemetry.metrics.envSteps, recentReturns: telemetry.recent))
        finish(reason: .shuttingDown, message: "the learner is stopping; reconnect later")
    }

    private func finish(reason: Goodbye.Reason, message: String) {
        let goodbye = Goodbye(reason: reason, message: message)
        guard let waiters = lifecycle.end(goodbye) else { return }
        telemetry.dropped(cycle.dropUnfinished(), received: false, why: "unfinished")
        sessions.sayGoodbye(goodbye)
        for waiter in waiters { waiter.resume() }
    }

    /// A heartbeat arrived on the session (echoed by its connection).
    func heard(session id: Int) { telemetry.roster.heard(session: id) }

    /// `training`, `stopping` (asked to end, finishing its update), `finished` (all updates made) or `stopped`.
    var runState: String { lifecycle.label }

    /// The run now, for `/status.json`, the status page and `ppo status`.
    func status(now: Date = Date()) -> RunStatus {
        telemetry.status(
            options: options, env: spec.id, lifecycle: lifecycle, rolloutSteps: job.config.rolloutSteps, workers: sessions.count,
            metrics: currentMetrics(), scheduler: sessions.scheduler, evaluations: evaluations.status, now: now)
    }

    /// The latest evaluation's first episode (`--eval-video`), for the status page.
    var latestVideo: PeriodicEvaluation.LatestVideo? { evaluations.latestVideo }

    /// The policy the workers act with now (for tests).
    func currentWeights() -> Weights { cycle.weights }
}

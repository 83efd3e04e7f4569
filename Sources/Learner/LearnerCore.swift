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

/// The learner's orchestration: it dispatches each worker's messages, keeps the batches of the current version,
/// and starts each update and evaluation. What it decides with has types of its own: the sessions and the Hello
/// checks (`SessionTable`), the grants and the on-policy gate (`Scheduler`), the run's state (`RunLifecycle`) and its
/// end (`RunEnd`), the counters and the status document (`LearnerTelemetry`), the evaluations (`LearnerEvaluations`);
/// the update itself is the `TrainingJob`'s. Connection tasks call into it; it answers with messages put on each
/// session's outbound queue, so it never waits on a socket.
actor LearnerCore {
    let options: LearnerOptions
    let spec: EnvironmentSpec
    private let job: TrainingJob
    /// The greedy evaluations while training (`eval_every`).
    private var evaluations: LearnerEvaluations
    /// The update or the evaluation in progress, if any: one at a time, and no update starts until it has ended.
    private var update: Task<Void, Never>?
    /// The workers' sessions, their grants and the on-policy gate.
    private var sessions: WorkerSessions
    private var rollout = RolloutBuffer()
    private var weights: Weights
    /// `weights` as a frame, encoded (and compressed) once for every worker.
    private var weightsFrame: ByteBuffer
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
        weights = job.weights()
        weightsFrame = Frame.encode(.weights(weights))
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
        return sessions.register(hello, peer: peer, outbound: outbound, welcome: welcome(version:), weights: weightsFrame, telemetry: &telemetry)
    }

    /// What every worker is told of the run (§4.2).
    private func welcome(version: UInt16) -> Welcome {
        Welcome(version: version, options: options, spec: spec, config: job.config, weights: weights, signature: signature)
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
            message, session: id, latest: weights.policyVersion, training: lifecycle.isTraining, ended: lifecycle.hasEnded,
            telemetry: &telemetry)
        if let accepted { collect(accepted) }
        return verdict
    }

    /// Keeps an accepted batch for the update, counts its episodes, and starts the update when the rollout is full.
    private func collect(_ b: TransitionBatch) {
        rollout.append(b)
        guard sessions.scheduler.isComplete else { return }
        if update == nil {
            startUpdate()
        } else {
            evaluations.rolloutFilled()
        }
    }

    // MARK: Training

    private func startUpdate() {
        let taken = rollout.take(trainerVersion: sessions.scheduler.version)
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
        update = nil
        weights = outcome.weights
        weightsFrame = outcome.frame
        telemetry.count(outcome, transitions: transitions, lags: lags)
        sessions.scheduler.advance(to: outcome.weights.policyVersion)
        options.progress(telemetry.progress(outcome.report.statistics, totalUpdates: totalUpdates, workers: sessions.count))
        // No rollout follows an update that ends the run.
        if runEnd == nil {
            sessions.broadcast(outcome.frame)
        }
        // The workers collect the next rollout with the new weights while the policy is judged.
        if let evaluation = evaluations.start(outcome.evaluationSnapshot, then: { await self.finishEvaluation($0) }) {
            update = evaluation
            return
        }
        continueAfterUpdate()
    }

    private func finishEvaluation(_ outcome: EvaluationJob.Outcome) {
        update = nil
        telemetry.evaluated(outcome, waited: evaluations.ended(outcome))
        if let point = outcome.point { options.evaluated(point) }
        continueAfterUpdate()
    }

    /// After an update and its evaluation: the run ends when that was its last update or it reached a target
    /// (the training episodes' return, or the greedy evaluation's); otherwise the next update starts if its
    /// rollout is full (with a policy lag, or while the evaluation ran, it may have filled meanwhile; not trained
    /// once stopping: its transitions are counted as unfinished).
    private func continueAfterUpdate() {
        guard let end = runEnd else {
            if sessions.scheduler.isComplete && lifecycle.isTraining { startUpdate() }
            return
        }
        if end != .allUpdates {
            // A target ended the run before its last update: that update's checkpoint is written now.
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
        telemetry.dropped(rollout.drop(), received: false, why: "unfinished")
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

    /// The current state as a checkpoint (for tests and the final summary).
    func currentWeights() -> Weights { weights }
}

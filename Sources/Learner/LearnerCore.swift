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
    private var scheduler: Scheduler
    private var sessions = SessionTable()
    private var rollout = RolloutBuffer()
    private var weights: Weights
    /// `weights` as a frame, encoded (and compressed) once for every worker.
    private var weightsFrame: ByteBuffer
    /// The counters, the returns, the workers seen, the curve.
    private var telemetry: LearnerTelemetry
    private let logger: Logger
    private var lifecycle = RunLifecycle()

    init(options: LearnerOptions, logger: Logger) throws {
        self.options = options
        self.logger = logger
        if let url = options.checkpoints.url { Checkpoint.removeAbandonedWrites(of: url, logger: logger) }
        spec = try EnvironmentCatalog.spec(for: options.run.environment, bridge: options.bridge)
        job = try TrainingJob(options: options, spec: spec, logger: logger)
        evaluations = LearnerEvaluations(options: options)
        telemetry = LearnerTelemetry(resume: options.resume)
        telemetry.metrics.note(options.evaluationHistory, evaluates: evaluations.job != nil)
        telemetry.metrics.policyVersion = job.version
        telemetry.metrics.updates = job.updates
        scheduler = Scheduler(
            version: job.version, rolloutSize: job.config.rolloutSteps, maxStepsPerGrant: options.maxStepsPerGrant,
            observationSize: spec.observationSize, actionSpace: spec.actionSpace, maxPolicyLag: UInt64(options.maxPolicyLag),
            maxOpenPerSession: options.maxUnackedBatches)
        telemetry.metrics.maxPolicyLag = options.maxPolicyLag
        weights = job.weights()
        weightsFrame = Frame.encode(.weights(weights))
        if let resume = options.resume, ResumeRules.isFinished(resume, run: options.run, evaluations: options.evaluationHistory) {
            // A finished run, resumed only to serve its status (--serve-after-finish): nothing to train.
            lifecycle = RunLifecycle(endedWith: Goodbye(reason: .finished, message: RunEnd.allUpdates.goodbye))
        }
    }

    var totalUpdates: Int { options.run.totalUpdates }

    /// §4.11 signature of the run's environment, as workers must compute it for theirs.
    var signature: UInt64 {
        EnvironmentSignature.hash(envID: spec.id, arguments: options.run.envArguments, observationSpace: spec.observationSpace,
                                  actionSpace: spec.actionSpace, maxEpisodeSteps: spec.maxEpisodeSteps)
    }
    /// Whether the run has ended (finished or stopped).
    var isFinished: Bool { lifecycle.hasEnded }

    /// Waits until the run has made all its updates (or was stopped).
    func waitUntilFinished() async {
        if lifecycle.hasEnded { return }
        await withCheckedContinuation { lifecycle.wait($0) }
    }

    // MARK: Sessions

    /// Checks a Hello (§3.2) and, if it is acceptable, registers the session and queues Welcome and Weights.
    func register(hello: Hello, peer: String, outbound: AsyncStream<OutboundFrame>.Continuation) -> SessionRegistration {
        switch lifecycle.helloAnswer {
        case .admit: break
        case .goodbye(let goodbye): return .ended(goodbye)
        case .refuse(let error): return .refused(error)
        }
        if let refusal = SessionTable.refusal(of: hello, connected: sessions.count, maxConnections: options.maxConnections, spec: spec,
                                              envArguments: options.run.envArguments, signature: signature) {
            return .refused(refusal)
        }
        let id = sessions.open(hello, outbound: outbound)
        telemetry.connected(session: id, hello: hello, address: peer, connected: sessions.count)
        outbound.yield(.message(.welcome(welcome(version: min(hello.maxVersion, WireProtocol.supportedVersions.upperBound)))))
        outbound.yield(.encoded(weightsFrame))
        logger.info("worker \(hello.workerID) connected (session \(id), \(hello.numEnvs) envs); \(sessions.count) connected")
        return .session(id)
    }

    /// What every worker is told of the run (§4.2).
    private func welcome(version: UInt16) -> Welcome {
        Welcome(version: version, options: options, spec: spec, config: job.config, weights: weights, signature: signature)
    }

    /// A connection ended: its open grants return to the pool.
    func unregister(session id: Int, reason: String) {
        guard let s = sessions.close(id) else { return }
        s.outbound.finish()
        scheduler.release(session: id)
        telemetry.disconnected(session: id, reason: reason, connected: sessions.count)
        logger.info("worker \(s.workerID) disconnected after \(s.delivered) batches (\(reason)); \(sessions.count) connected")
        // Its credit is free again: offer it to the others.
        for other in sessions.ids { offerGrant(to: other) }
    }

    /// Closes the connections that hold a grant older than `grantTimeout`; their grants go back to the pool.
    /// Called every second by the server.
    func expireGrants(now: ContinuousClock.Instant = .now) {
        for id in scheduler.sessionsOverdue(timeout: options.grantTimeout, now: now) {
            guard let s = sessions[id] else { continue }
            let error = WireError(.timeout, "a grant was not delivered within \(options.grantTimeout); its steps go to other workers")
            logger.warning("worker \(s.workerID): \(error); closing the connection")
            countRejected(error)
            s.outbound.yield(.message(.error(error)))
            unregister(session: id, reason: "grant not delivered in time")
        }
    }

    func countRejected(_ error: WireError) { telemetry.rejected(error) }

    /// Bytes received on every connection (counted on the event loop, read here).
    nonisolated let bytesIn = NIOLockedValueBox(0)

    /// The counters now.
    func currentMetrics() -> LearnerMetrics {
        telemetry.metricsNow(scheduler: scheduler, bytesIn: bytesIn.withLockedValue { $0 })
    }

    // MARK: Messages

    func handle(_ message: Message, session id: Int) -> MessageVerdict {
        guard sessions[id] != nil else { return .close(WireError(.unexpectedMessage, "session is closed")) }
        telemetry.roster.heard(session: id)
        switch message {
        case .ready(let v):
            if v > weights.policyVersion {
                return .close(WireError(.invalidVersion, "Ready for version \(v), the learner is at \(weights.policyVersion)"))
            }
            sessions[id]?.holding = v
            offerGrant(to: id)
            return .keepOpen
        case .batch(let b):
            return receive(b, session: id)
        case .heartbeat:
            return .keepOpen
        case .goodbye:
            return .close(WireError(.shuttingDown, "worker said goodbye"))
        case .error(let code, let text):
            logger.warning("worker \(sessions[id]?.workerID ?? "?") reported error \(code): \(text)")
            return .close(WireError(.shuttingDown, "worker reported an error"))
        case .hello:
            return .close(WireError(.unexpectedMessage, "a second Hello on an established connection"))
        case .welcome, .weights, .grant, .ack:
            return .close(WireError(.unexpectedMessage, "\(message.type) is a learner-to-worker message"))
        }
    }

    /// A batch: what the on-policy gate decides is done here, and nothing else decides it.
    private func receive(_ message: BatchMessage, session id: Int) -> MessageVerdict {
        guard let session = sessions[id] else { return .keepOpen }
        let b = message.batch
        switch scheduler.accept(message, from: id) {
        case .invalid(let error):
            return .close(error)  // logged and counted where the connection is closed
        case .ungranted:
            return .close(WireError(.ungrantedBatch, "batch for grant \(message.grantID), which this connection does not hold"))
        case .stale(let n):
            telemetry.dropped(b.count, received: true, why: "stale")
            session.outbound.yield(.message(.ack(Ack(grantID: message.grantID, status: .stale, transitions: UInt32(clamping: n)))))
            return .keepOpen
        case .accepted:
            guard !lifecycle.hasEnded else {
                // Granted before the run ended, arrived after: nothing more is trained.
                telemetry.dropped(b.count, received: true, why: "unfinished")
                return .keepOpen
            }
            session.outbound.yield(.message(.ack(Ack(grantID: message.grantID, status: .accepted, transitions: UInt32(clamping: b.count)))))
            sessions[id]?.delivered += 1
            telemetry.accepted(b, session: id)
            collect(b)
            return .keepOpen
        }
    }

    /// Keeps an accepted batch for the update, counts its episodes, and starts the update when the rollout is full.
    private func collect(_ b: TransitionBatch) {
        rollout.append(b)
        guard scheduler.isComplete else { return }
        if update == nil {
            startUpdate()
        } else {
            evaluations.rolloutFilled()
        }
    }

    /// A grant for session `id`, if the run trains and the scheduler's rule gives one.
    private func offerGrant(to id: Int) {
        guard lifecycle.isTraining, let s = sessions[id], let holding = s.holding,
              let g = scheduler.grant(session: id, holding: holding, envs: s.envs) else { return }
        s.outbound.yield(.message(.grant(Grant(grantID: g.id, policyVersion: g.version, steps: UInt32(g.steps)))))
    }

    // MARK: Training

    private func startUpdate() {
        let taken = rollout.take(trainerVersion: scheduler.version)
        let number = telemetry.metrics.updates + 1
        scheduler.beginUpdate(isLast: number >= totalUpdates)
        let envSteps = telemetry.metrics.envSteps + taken.transitions
        let job = self.job
        let total = totalUpdates
        let returns = telemetry.recent
        update = Task {
            let outcome = await job.update(on: taken.batches, update: number, of: total, envSteps: envSteps, recentReturns: returns)
            self.finishUpdate(outcome, transitions: taken.transitions, lags: taken.lags)
        }
        // With a policy lag, the workers collect the next rollout meanwhile.
        for id in sessions.ids { offerGrant(to: id) }
    }

    private func finishUpdate(_ outcome: TrainingJob.Outcome, transitions: Int, lags: [String: Int]) {
        update = nil
        weights = outcome.weights
        weightsFrame = outcome.frame
        telemetry.count(outcome, transitions: transitions, lags: lags)
        scheduler.advance(to: outcome.weights.policyVersion)
        options.progress(telemetry.progress(outcome.report.statistics, totalUpdates: totalUpdates, workers: sessions.count))
        // No rollout follows an update that ends the run.
        if runEnd == nil {
            for s in sessions.all { s.outbound.yield(.encoded(outcome.frame)) }
        }
        if let snapshot = outcome.evaluationSnapshot, let evaluator = evaluations.job {
            // The workers collect the next rollout with the new weights while the policy is judged.
            evaluations.start()
            update = Task {
                let result = await evaluator.evaluate(snapshot)
                self.finishEvaluation(result)
            }
            return
        }
        continueAfterUpdate()
    }

    private func finishEvaluation(_ outcome: EvaluationJob.Outcome) {
        update = nil
        telemetry.metrics.evaluationWaitSecondsTotal += evaluations.ended(outcome)
        telemetry.metrics.note(outcome.history, evaluates: true)
        if let point = outcome.point { options.evaluated(point) }
        continueAfterUpdate()
    }

    /// After an update and its evaluation: the run ends when that was its last update or it reached a target
    /// (the training episodes' return, or the greedy evaluation's); otherwise the next update starts if its
    /// rollout is full (with a policy lag, or while the evaluation ran, it may have filled meanwhile; not trained
    /// once stopping: its transitions are counted as unfinished).
    private func continueAfterUpdate() {
        guard let end = runEnd else {
            if scheduler.isComplete && lifecycle.isTraining { startUpdate() }
            return
        }
        switch end {
        case .allUpdates:
            finish(reason: .finished, message: end.goodbye)
            return
        case .returnTarget:
            telemetry.metrics.reachedTarget = true
        case .evaluationTarget:
            telemetry.metrics.reachedEvalTarget = true
        }
        logger.info("\(end.line(update: telemetry.metrics.updates, of: totalUpdates, recent: telemetry.recent, evaluations: evaluations.history))")
        telemetry.metrics.checkpoints.note(job.writeFinalCheckpoint(envSteps: telemetry.metrics.envSteps, recentReturns: telemetry.recent))
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
        guard let waiters = lifecycle.end(Goodbye(reason: reason, message: message)) else { return }
        telemetry.dropped(rollout.drop(), received: false, why: "unfinished")
        for s in sessions.all {
            s.outbound.yield(.message(.goodbye(Goodbye(reason: reason, message: message))))
            s.outbound.finish()
        }
        for waiter in waiters { waiter.resume() }
    }

    /// A heartbeat arrived on the session (echoed by its connection).
    func heard(session id: Int) { telemetry.roster.heard(session: id) }

    /// `training`, `stopping` (asked to end, finishing its update), `finished` (all updates made) or `stopped`.
    var runState: String { lifecycle.label }

    /// The run now, for `/status.json`, the status page and `ppo status`.
    func status(now: Date = Date()) -> RunStatus {
        var status = telemetry.status(
            options: options, env: spec.id, lifecycle: lifecycle, rolloutSteps: job.config.rolloutSteps, workers: sessions.count,
            metrics: currentMetrics(), scheduler: scheduler, now: now)
        status.evaluation = evaluations.status
        return status
    }

    /// The latest evaluation's first episode (`--eval-video`), for the status page.
    var latestVideo: PeriodicEvaluation.LatestVideo? { evaluations.latestVideo }

    /// The current state as a checkpoint (for tests and the final summary).
    func currentWeights() -> Weights { weights }
}

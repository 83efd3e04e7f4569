import Foundation
import PPOCore
import Training
import Wire

/// What a learner counts and shows: the counters of `/metrics`, the last training episodes' returns, the workers
/// seen, the learning curve and the last updates; from them, each update's progress line and the status document.
struct LearnerTelemetry {
    var metrics = LearnerMetrics()
    /// The last training episodes' returns (a resumed run's go on from its checkpoint's).
    private(set) var recent: RecentReturns
    /// Who connected, for the status page, and the curve and losses of the updates so far.
    var roster = WorkerRoster()
    var history = StatusHistory()
    private let started = ContinuousClock.now
    /// A resumed run's updates and env steps when this process started.
    private let updatesAtStart: Int
    private let envStepsAtStart: Int

    /// A run at `version` after `updates` updates (a resumed one's counts go on from its checkpoint), with its
    /// evaluations so far.
    init(resume: Checkpoint?, version: UInt64 = 0, updates: Int = 0, maxPolicyLag: Int = 0,
         evaluations: EvaluationHistory = EvaluationHistory(), evaluates: Bool = false) {
        recent = resume?.recentReturns ?? RecentReturns()
        metrics.recentReturn = recent.mean
        metrics.envSteps = resume?.envSteps ?? 0
        metrics.policyVersion = version
        metrics.updates = updates
        metrics.maxPolicyLag = maxPolicyLag
        metrics.note(evaluations, evaluates: evaluates)
        updatesAtStart = resume?.updates ?? 0
        envStepsAtStart = metrics.envSteps
    }

    /// The run ended on a target before its last update.
    mutating func note(_ end: RunEnd) {
        switch end {
        case .allUpdates: break
        case .returnTarget: metrics.reachedTarget = true
        case .evaluationTarget: metrics.reachedEvalTarget = true
        }
    }

    /// An evaluation ended; a full rollout waited `waited` seconds for it.
    mutating func evaluated(_ outcome: EvaluationJob.Outcome, waited: Double) {
        metrics.evaluationWaitSecondsTotal += waited
        metrics.note(outcome.history, evaluates: true)
    }

    /// A worker connected (session `id`); `connected` are connected now.
    mutating func connected(session id: Int, hello: Hello, address: String, connected: Int) {
        roster.connect(session: id, id: hello.workerID, address: address, envs: Int(hello.numEnvs))
        metrics.workersConnected = connected
        metrics.connectionsTotal += 1
    }

    /// Session `id` ended; `connected` are connected now.
    mutating func disconnected(session id: Int, reason: String, connected: Int) {
        roster.disconnect(session: id, reason: reason)
        metrics.workersConnected = connected
    }

    /// A frame refused with `error`, by its code.
    mutating func rejected(_ error: WireError) {
        metrics.framesRejected["\(error.code)", default: 0] += 1
    }

    /// Transitions received and dropped, by why: `stale` (the gate found their grant revoked), `unfinished` (the
    /// run ended before they were trained).
    mutating func dropped(_ transitions: Int, received: Bool, why: String) {
        if received { metrics.transitionsReceived += transitions }
        if transitions > 0 { metrics.transitionsDropped[why, default: 0] += transitions }
    }

    /// A batch accepted from session `id` for the rollout.
    mutating func accepted(_ batch: TransitionBatch, session id: Int) {
        metrics.transitionsReceived += batch.count
        roster.delivered(session: id, transitions: batch.count)
        note(episodesOf: batch)
    }

    /// Counts the episodes an accepted batch finished.
    mutating func note(episodesOf batch: TransitionBatch) {
        for e in batch.episodes {
            recent.append(e.episodeReturn)
            metrics.episodes += 1
        }
        metrics.recentReturn = recent.mean
    }

    /// Counts an update that trained on `transitions` (by policy lag, `lags`), and adds it to the curve.
    mutating func count(_ outcome: TrainingJob.Outcome, transitions: Int, lags: [String: Int]) {
        metrics.updates += 1
        metrics.policyVersion = outcome.weights.policyVersion
        metrics.transitionsTrained += transitions
        metrics.transitionsTrainedByLag.merge(lags, uniquingKeysWith: +)
        metrics.envSteps += transitions
        metrics.lastUpdateSeconds = outcome.report.seconds
        metrics.updateSecondsTotal += outcome.report.seconds
        metrics.checkpoints.note(outcome.checkpoint)
        history.record(update: metrics.updates, envSteps: metrics.envSteps, meanReturn: metrics.recentReturn,
                       statistics: outcome.report.statistics, seconds: outcome.report.seconds)
    }

    var elapsedSeconds: Double { started.duration(to: .now).secondsValue }

    /// Env steps per second since this process started (a resumed run counts from the resume).
    func stepsPerSecond(over seconds: Double) -> Double {
        Double(metrics.envSteps - envStepsAtStart) / max(seconds, 1e-9)
    }

    /// The progress line of the update just counted.
    func progress(_ statistics: UpdateStatistics, totalUpdates: Int, workers: Int) -> TrainingProgress {
        let seconds = elapsedSeconds
        var p = TrainingProgress(
            update: metrics.updates, totalUpdates: totalUpdates, version: metrics.policyVersion, envSteps: metrics.envSteps,
            stepsPerSecond: stepsPerSecond(over: seconds), recentReturn: metrics.recentReturn,
            episodes: metrics.episodes, statistics: statistics, elapsedSeconds: seconds)
        p.workers = workers
        p.dropped = metrics.droppedTotal
        p.rejected = metrics.framesRejected.values.reduce(0, +)
        return p
    }

    /// The counters now, with the scheduler's grants and the bytes the connections counted.
    func metricsNow(scheduler: Scheduler, bytesIn: Int) -> LearnerMetrics {
        var m = metrics
        m.bytesIn = bytesIn
        m.grantsIssued = scheduler.issued
        m.grantsCompleted = scheduler.completed
        m.grantsReturned = scheduler.returned
        m.grantsOpen = scheduler.open.count
        return m
    }

    /// The run's section of the status document; `ended`: no time to go.
    func run(options: LearnerOptions, env: String, state: String, ended: Bool, rolloutSteps: Int, workers: Int) -> RunStatus.Run {
        let elapsed = elapsedSeconds
        let total = options.run.totalUpdates
        var run = RunStatus.Run(
            runID: options.runID, env: env, preset: options.preset, seed: options.seed, state: state,
            policyVersion: metrics.policyVersion, updates: metrics.updates, totalUpdates: total, envSteps: metrics.envSteps,
            totalEnvSteps: total * rolloutSteps, stepsPerSecond: stepsPerSecond(over: elapsed), elapsedSeconds: elapsed,
            etaSeconds: nil, episodes: metrics.episodes, recentReturn: metrics.recentReturn?.finite, workersConnected: workers)
        let updatesHere = metrics.updates - updatesAtStart
        if !ended, updatesHere > 0 { run.etaSeconds = elapsed / Double(updatesHere) * Double(total - metrics.updates) }
        return run
    }

    /// The status document: the run's section, the counters, the workers, the curve.
    func status(options: LearnerOptions, env: String, lifecycle: RunLifecycle, rolloutSteps: Int, workers: Int,
                metrics: LearnerMetrics, scheduler: Scheduler, evaluations: RunStatus.Evaluations?, now: Date) -> RunStatus {
        let run = run(options: options, env: env, state: lifecycle.label, ended: lifecycle.hasEnded,
                      rolloutSteps: rolloutSteps, workers: workers)
        var status = RunStatus(
            metrics: metrics, run: run, roster: roster, history: history, now: now,
            openGrants: { sessions in sessions.reduce(0) { $0 + scheduler.openCount(session: $1) } })
        status.evaluation = evaluations
        return status
    }
}

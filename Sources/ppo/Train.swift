import ArgumentParser
import Environments
import Foundation
import CommandSupport
import GymBridge
import Learner
import PPOCore
import Training

struct Train: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train a policy with PPO.",
        discussion: """
            Hyper-parameters come from a preset (a YAML file; by default the one shipped for the environment, see `ppo presets`), and any of them can be overridden with --set KEY=VALUE (same names as in the YAML). One progress line is printed per update; the run writes DIR/checkpoint.safetensors every --checkpoint-every updates and at the end, then evaluates the policy deterministically.

            Examples:
              ppo train --env CartPole-v1
              ppo train --config seed --seed 3
              ppo train --env Pendulum-v1 --workers 0 --set learning_rate=0.0005
              ppo train --env CartPole-v1 --out runs/cp --resume
              ppo train --env gym:HalfCheetah-v5 --python .venv/bin/python3 --workers 0   # MuJoCo on one machine: fastest in one process
              ppo train --env gym:my_package.envs:MyEnv-v0 --env-arg difficulty=3 --workers 2
              ppo train --env gym:MiniGrid-DoorKey-5x5-v0 --env-wrapper minigrid.wrappers:ImgObsWrapper

            gym:ID environments run in one Python process per worker (pip install gymnasium, and "gymnasium[mujoco]" for MuJoCo), with the policy, the wire and TLS in Swift.
            """)

    @OptionGroup var runOptions: RunOptions

    @OptionGroup var bridgeFlags: BridgeFlags

    @OptionGroup var threadsFlag: LearnerThreadsFlag

    @OptionGroup var lagFlag: PolicyLagFlag

    @Option(help: "Output folder for the checkpoint and summary. Default: runs/<env>-seed<seed>.")
    var out: String?

    @OptionGroup var checkpointFlags: CheckpointFlags


    @Flag(help: "Print the final summary as JSON.")
    var json = false

    @Flag(help: "Only print the summary and warnings, not a line per update or the info log lines.")
    var quiet = false

    @Option(parsing: .unconditional, help: "Worker processes: 0 trains in this process; N > 0 runs this process as the learner and N `ppo-worker` processes, over mutual TLS on loopback with certificates made for the run.")
    var workers = 2

    @Option(help: ArgumentHelp(
        "Benchmarking only, with --workers N > 0: every step of a worker's environments takes at least this long in wall time without using the CPU (1ms, 10ms), as an expensive simulator would.",
        valueName: "duration"))
    var stepDelay: String?

    @Option(parsing: .unconditional, help: "With --workers N > 0: the learner's status page (a live learning curve and the workers), /status.json and /metrics on 127.0.0.1 at this port (0: any free port, printed at the start; -1: none).")
    var statusPort = 0

    /// Lines for people: standard output, or standard error when it carries `--progress-json -`.
    var say: @Sendable (String) -> Void { ConsoleOutput.lineWriter(toStandardError: runOptions.progressOnStandardOutput) }

    func validate() throws {
        guard (-1...65535).contains(statusPort) else { throw ValidationError("--status-port must be 0–65535, or -1 for none") }
        guard (0...64).contains(workers) else { throw ValidationError("--workers must be 0–64") }
        if json && runOptions.progressOnStandardOutput {
            throw ValidationError("--json and --progress-json - both write to standard output: give --progress-json a file")
        }
        if let stepDelay {
            guard workers > 0 else { throw ValidationError("--step-delay slows the worker processes: give --workers N > 0") }
            _ = try DurationArgument.parse(stepDelay, flag: "--step-delay")
        }
    }

    func run() async throws {
        ConsoleOutput.bootstrapLogging(level: quiet || json ? .warning : .info)
        let seed = runOptions.seed
        var run = try runOptions.resolve()

        let outDir = URL(fileURLWithPath: out ?? "runs/\(run.envID)-seed\(seed)")
        let (checkpoints, resumeFrom) = try StartRefusal.exitOnRefusal { try checkpointFlags.resolve(&run, options: runOptions, folder: outDir, folderFlag: "--out") }
        lagFlag.apply(to: &run.ppo)
        let checkpointURL = CheckpointPolicy.file(in: outDir)
        if workers > 0 {
            try await runDistributed(run: run, seed: seed, checkpoints: checkpoints, outDir: outDir, resume: resumeFrom)
            return
        }
        // With a lag the envs are stepped on a thread of their own while the update runs: the update gets the cores
        // less that one by default.
        let training = try LocalTraining(run: run, seed: seed, checkpoints: checkpoints, resume: resumeFrom, bridge: bridgeFlags.options,
                                         threads: threadsFlag.resolve(sharedWithWorkers: run.ppo.maxPolicyLag > 0))
        let ppo = training.trainer.config
        let say = self.say
        if !json {
            say("training \(run.envID) for \(run.totalSteps) steps (\(run.totalUpdates) updates of \(ppo.rolloutSteps) = \(ppo.numEnvs) envs × \(ppo.rolloutSteps / ppo.numEnvs) steps) in this process\(training.maxPolicyLag > 0 ? ", collecting while the update runs (policy lag 1)" : ""), seed \(seed), OpenBLAS \(Kernels.configureBLAS())")
            if let r = resumeFrom { say("resuming from \(checkpointURL.path): version \(r.version), \(r.envSteps) env steps") }
        }
        let board = try runOptions.tensorBoard()
        let stop = StopRequest()
        let quiet = self.quiet || json
        let console = ProgressLine.Console(board: board, quiet: quiet, json: try runOptions.progressSink(), write: say)
        // The loop keeps one core busy for the whole run: a Dispatch thread, not one of Swift's few cooperative ones.
        let local = Exclusive(training)
        let summary = try await SignalledShutdown.run(
            message: "stopping: finishing the update in progress and writing a checkpoint", onShutdown: { stop.request() }
        ) {
            try await onDispatchThread {
                try local.value.train(stop: stop, progress: console.progress)
            }
        }
        try finish(summary: summary, checkpoint: training.checkpoint(), seed: seed, outDir: outDir, evalEpisodes: run.evaluation.episodes)
    }

    /// Evaluates the final policy, writes summary.json and prints the summary (or the JSON); a run whose final
    /// checkpoint was not written ends with status 1 after that.
    func finish(summary: TrainingSummary, checkpoint: Checkpoint?, seed: UInt64, outDir: URL, evalEpisodes: Int, footer: String? = nil) throws {
        var evaluation: EvaluationResult?
        if evalEpisodes > 0, let checkpoint {
            evaluation = try EvaluationResult.run(checkpoint: checkpoint, episodes: evalEpisodes, seed: seed &+ 1_000_000, bridge: bridgeFlags.options)
        }
        let report = TrainReport(summary: summary, evaluation: evaluation)
        let text = try ConsoleOutput.json(report)
        let summaryFile = outDir.appendingPathComponent("summary.json")
        do {
            try Data(text.utf8).write(to: summaryFile, options: .atomic)
        } catch {
            FileHandle.standardError.write(Data("warning: could not write \(summaryFile.path): \(error)\n".utf8))
        }
        if json {
            print(text)
        } else {
            say(SummaryText.summary(report))
            if let footer { say(footer) }
        }
        if let failure = summary.checkpoints.finalFailure {
            FileHandle.standardError.write(Data("error: \(failure)\n".utf8))
            throw ExitCode(1)
        }
    }
}

/// What `ppo train` writes to summary.json.
struct TrainReport: Codable {
    var summary: TrainingSummary
    var evaluation: EvaluationResult?
}

enum SummaryText {
    static func summary(_ r: TrainReport) -> String {
        let s = r.summary
        var lines = [String(
            format: "done: %d steps, %d updates, %d episodes in %.1f s (%.0f steps/s); mean return of the last 20 episodes %@",
            s.envSteps, s.updates, s.episodes, s.wallSeconds, s.stepsPerSecond,
            s.recentReturn.map { String(format: "%.1f", $0) } ?? "-")]
        if s.reachedTarget {
            lines.append("stopped early: the mean return of the last 20 episodes reached --stop-at-return")
        }
        if s.reachedEvalTarget {
            lines.append("stopped early: a greedy evaluation reached --stop-at-eval-return")
        }
        if let best = s.bestEvaluation {
            let waited = s.evaluationWaitSeconds.map { String(format: " (a full rollout waited %.1f s for them)", $0) } ?? ""
            lines.append(String(format: "%d evaluations while training took %.1f s%@; the best, %.1f ± %.1f after update %d, is in best.safetensors",
                                s.evaluations, s.evaluationSeconds, waited, best.mean, best.std, best.update))
        }
        if let f = s.firstReach {
            lines.append(String(format: "reward threshold first reached (mean of 20 episodes) at step %d, %.2f s", f.envSteps, f.wallSeconds))
        }
        if let e = r.evaluation {
            lines.append(String(format: "deterministic evaluation: %.1f ± %.1f over %d episodes", e.mean, e.std, e.episodes))
        }
        if let c = s.checkpoint {
            let failures = s.checkpoints.failures > 0 ? " (\(s.checkpoints.failures) of \(s.checkpoints.failures + s.checkpoints.written) writes failed)" : ""
            lines.append("checkpoint: \(c)\(failures)")
        }
        return lines.joined(separator: "\n")
    }
}

extension Train {
    /// `--workers N`: this process is the learner, N `ppo-worker` processes collect.
    func runDistributed(run: RunConfiguration, seed: UInt64, checkpoints: CheckpointPolicy, outDir: URL, resume: Checkpoint?) async throws {
        let checkpointURL = CheckpointPolicy.file(in: outDir)
        let executable = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
            .deletingLastPathComponent().appendingPathComponent("ppo-worker")
        let quiet = self.quiet || json
        let say = self.say
        let progressJSON = try runOptions.progressSink()
        let console = ProgressLine.Console(board: try runOptions.tensorBoard(), quiet: quiet, json: progressJSON, write: say)
        if !json {
            say("training \(run.envID) for \(run.totalSteps) steps (\(run.totalUpdates) updates of \(run.ppo.rolloutSteps)) with \(workers) worker processes × \(run.ppo.numEnvs) envs over mutual TLS on loopback, seed \(seed), OpenBLAS \(Kernels.configureBLAS())")
        }
        let json = self.json
        var cluster = LocalCluster(
            run: run, seed: seed, workers: workers, workerExecutable: executable, checkpoints: checkpoints,
            resume: resume, bridge: bridgeFlags.options,
            learnerThreads: threadsFlag.resolve(sharedWithWorkers: true),
            stepDelay: try stepDelay.map { try DurationArgument.parse($0, flag: "--step-delay") }, quietWorkers: quiet, statusPort: statusPort < 0 ? nil : statusPort, preset: runOptions.presetLabel,
            onListening: { port, statusPort in
                progressJSON?.listening(port: port, metricsPort: statusPort)
                guard !json, let statusPort else { return }
                say("status page: http://127.0.0.1:\(statusPort)/ (ppo status --learner 127.0.0.1:\(statusPort))")
            },
            progress: console.progress)
        cluster.evaluationHistory = try PeriodicEvaluation.history(in: outDir, resuming: resume != nil)
        cluster.evaluated = console.evaluated
        let ready = cluster
        let clock = ContinuousClock()
        let start = clock.now
        let stop = StopRequest()
        let metrics = try await SignalledShutdown.run(
            message: "stopping: finishing the update in progress, writing a checkpoint, stopping the workers", onShutdown: { stop.request() }
        ) {
            try await ready.train(stop: stop)
        }
        let elapsed = clock.now - start
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
        var summary = TrainingSummary(
            envID: run.envID, envSteps: metrics.envSteps, updates: metrics.updates, episodes: metrics.episodes,
            wallSeconds: seconds, stepsPerSecond: Double(metrics.envSteps) / max(seconds, 1e-9),
            recentReturn: metrics.recentReturn, firstReach: nil, checkpoint: checkpointURL.path, checkpoints: metrics.checkpoints)
        summary.reachedTarget = metrics.reachedTarget == true
        summary.note(metrics)
        // The learner's policy is in the file it wrote last; when that write failed there may be none to evaluate.
        let saved = metrics.checkpoints.lastFailure == nil ? try Checkpoint.read(from: checkpointURL) : try? Checkpoint.read(from: checkpointURL)
        try finish(
            summary: summary, checkpoint: saved, seed: seed, outDir: outDir, evalEpisodes: run.evaluation.episodes,
            footer: "transitions received \(metrics.transitionsReceived) = trained \(metrics.transitionsTrained) + dropped \(metrics.droppedTotal); frames rejected \(metrics.framesRejected.values.reduce(0, +)); \(metrics.bytesIn) bytes received"
                + (metrics.maxPolicyLag > 0 ? "; trained by policy lag: " + metrics.transitionsTrainedByLag.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: ", ") : ""))
    }
}

extension TrainingSummary {
    /// What a learner's evaluations while training were.
    mutating func note(_ m: LearnerMetrics) {
        evaluations = m.evaluations
        bestEvaluation = m.bestEvaluation
        lastEvaluation = m.lastEvaluation
        evaluationSeconds = m.evaluationSecondsTotal
        evaluationWaitSeconds = m.evaluates ? m.evaluationWaitSecondsTotal : nil
        reachedEvalTarget = m.reachedEvalTarget == true
        maxPolicyLag = m.maxPolicyLag
        transitions = TransitionAccount(received: m.transitionsReceived, trained: m.transitionsTrained, dropped: m.droppedTotal)
    }
}


/// Runs blocking work on a Dispatch thread and waits for it without holding a cooperative thread.
func onDispatchThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        DispatchQueue.global().async { continuation.resume(with: Result { try body() }) }
    }
}

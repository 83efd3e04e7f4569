import ArgumentParser
import CommandSupport
import Dispatch
import Foundation
import Learner
import Logging
import NIOSSL
import PPOCore
import Training
import TransportSecurity
import Wire

@main
struct LearnerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ppo-learner",
        abstract: "The PPO learner: workers connect to it, collect on its policy, and it trains on what they send.",
        discussion: """
            Workers (`ppo-worker --learner HOST:PORT`) connect over mutual TLS, receive the current policy and are granted steps to collect with it; when the version's rollout is complete the learner runs the PPO epochs and sends the new weights to every worker. Only data collected by the current version is trained on (with --max-policy-lag 1: by it or the version before).

            Certificates: create them once with
              ppo certs --out certs --learner-host HOSTNAME_OR_IP --workers 4
            then start the learner with --tls-dir certs and each worker with --tls-dir certs --cert-name worker-N.

            Examples:
              ppo-learner --env CartPole-v1 --tls-dir certs
              ppo-learner --config Pendulum-v1 --port 9000 --metrics-port 9100 --tls-dir certs --checkpoint-dir runs/pendulum
              ppo-learner --env CartPole-v1 --tls-dir certs --checkpoint-dir runs/cp --resume
              ppo-learner --env gym:HalfCheetah-v5 --tls-dir certs --python .venv/bin/python3
            A gym:ID learner starts Python once to learn the spaces; its workers need the same packages.
            SIGINT/SIGTERM: the learner finishes an update in progress, writes a checkpoint and says goodbye.
            """)

    @Option(help: "Port to listen on.")
    var port = 9000

    @Option(help: "Address to listen on (0.0.0.0: every interface).")
    var host = "0.0.0.0"

    @OptionGroup var runOptions: RunOptions

    @OptionGroup var bridgeFlags: BridgeFlags

    @OptionGroup var threadsFlag: LearnerThreadsFlag

    @OptionGroup var lagFlag: PolicyLagFlag

    @Option(help: "Folder with ca.pem, learner.pem and learner-key.pem (from `ppo certs`).")
    var tlsDir: String?

    @Flag(help: "Serve without TLS. Allowed only on a loopback address (--host 127.0.0.1).")
    var plaintext = false

    @Option(help: "Folder for checkpoint.safetensors and summary.json. Default: runs/<env>-seed<seed>.")
    var checkpointDir: String?

    @OptionGroup var checkpointFlags: CheckpointFlags

    @Option(help: "Serve plain HTTP on this port: the status page (GET /), /status.json, Prometheus /metrics, /healthz and /readyz. Counters and worker addresses only, no secrets.")
    var metricsPort: Int?

    @Option(help: "Address the metrics and status endpoint listens on (127.0.0.1 keeps it to this machine).")
    var metricsHost = "0.0.0.0"

    @Flag(help: "After the last update, keep serving the status page and metrics and tell connecting workers the run is finished, until SIGTERM; with --resume-if-present a finished run is served the same way. For supervisors that restart a learner that exits (a Kubernetes StatefulSet).")
    var serveAfterFinish = false

    @Option(help: "Most workers connected at once.")
    var maxConnections = 256

    @Option(help: "Seconds a new connection has to send its Hello.")
    var helloTimeout = 10.0

    @Option(help: "Seconds without any frame from a worker before its connection is closed.")
    var idleTimeout = 60.0

    @Option(help: "Seconds a worker has to deliver a grant's batch before its connection is closed and the steps are granted to others.")
    var grantTimeout = 120.0

    @Option(help: "Largest frame accepted, in bytes (as sent).")
    var maxFrameBytes = 64 << 20

    @Option(help: "Largest frame accepted after decompression, in bytes.")
    var maxDecodedBytes = 64 << 20

    @Option(help: "Largest grant, in steps of each of a worker's environments. Default: an eighth of the rollout in steps of the worker's environments (at least 1), so a rollout is spread over several grants and workers, and fast workers take more of them.")
    var grantSteps: Int?

    @Flag(help: "Only print warnings and the summary: no line per update, no info log lines (workers connecting and leaving).")
    var quiet = false

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be 0–65535") }
        guard tlsDir != nil || plaintext else {
            throw ValidationError("give --tls-dir DIR (create one with `ppo certs --out DIR --learner-host NAME --workers N`), or --plaintext on a loopback address")
        }
        guard !(tlsDir != nil && plaintext) else { throw ValidationError("--tls-dir and --plaintext exclude each other") }
        if plaintext {
            do { try PlaintextPolicy.check(host: host, use: .listen) } catch { throw ValidationError("\(error)") }
        }
        guard helloTimeout > 0, idleTimeout > 0, grantTimeout > 0, maxConnections > 0, maxFrameBytes > 0, maxDecodedBytes > 0 else {
            throw ValidationError("timeouts and limits must be positive")
        }
    }

    /// summary.json, written as soon as the run has ended (a learner serving after the end may be killed later).
    static func writeSummary(_ metrics: LearnerMetrics, environment: String, checkpoint: URL, into dir: URL) {
        do {
            try LearnerSummary(environment: environment, checkpoint: checkpoint.path, metrics: metrics).write(into: dir)
        } catch {
            FileHandle.standardError.write(Data("warning: could not write \(dir.appendingPathComponent(LearnerSummary.fileName).path): \(error)\n".utf8))
        }
    }

    /// The learner these flags describe.
    func learnerOptions(run: RunConfiguration, checkpoints: CheckpointPolicy, resume: Checkpoint?, json: ProgressJSON?) throws -> LearnerOptions {
        let tls = try tlsDir.map { try LearnerTLS.load(directory: URL(fileURLWithPath: $0)).context }
        let console = ProgressLine.Console(
            board: try runOptions.tensorBoard(), quiet: quiet, json: json,
            write: ConsoleOutput.lineWriter(toStandardError: runOptions.progressOnStandardOutput))
        var options = LearnerOptions(
            run: run, seed: runOptions.seed, host: host, port: port, tls: tls,
            limits: WireLimits(maxFrameBytes: maxFrameBytes, maxDecodedBytes: maxDecodedBytes),
            helloTimeout: .milliseconds(Int(helloTimeout * 1000)), idleTimeout: .milliseconds(Int(idleTimeout * 1000)),
            maxConnections: maxConnections, maxStepsPerGrant: grantSteps,
            grantTimeout: .milliseconds(Int(grantTimeout * 1000)), checkpoints: checkpoints,
            resume: resume, metricsPort: metricsPort, metricsHost: metricsHost,
            bridge: bridgeFlags.options, preset: runOptions.presetLabel, serveAfterFinish: serveAfterFinish,
            learnerThreads: threadsFlag.resolve(sharedWithWorkers: false),
            progress: console.progress)
        options.evaluated = console.evaluated
        return options
    }

    func run() async throws {
        ConsoleOutput.bootstrapLogging(level: quiet ? .warning : .info)
        let seed = runOptions.seed
        var run = try runOptions.resolve()
        let dir = URL(fileURLWithPath: checkpointDir ?? "runs/\(run.envID)-seed\(seed)")
        let (checkpoints, resumeFrom) = try StartRefusal.exitOnRefusal {
            try checkpointFlags.resolve(&run, options: runOptions, folder: dir, folderFlag: "--checkpoint-dir", serveFinished: serveAfterFinish)
        }
        lagFlag.apply(to: &run.ppo)
        let evaluations = try PeriodicEvaluation.history(in: dir, resuming: resumeFrom != nil)
        let alreadyFinished = resumeFrom.map { ResumeRules.isFinished($0, run: run, evaluations: evaluations) } ?? false
        let checkpointURL = CheckpointPolicy.file(in: dir)
        let json = try runOptions.progressSink()
        let say = ConsoleOutput.lineWriter(toStandardError: runOptions.progressOnStandardOutput)
        var options = try learnerOptions(run: run, checkpoints: checkpoints, resume: resumeFrom, json: json)
        options.evaluationHistory = evaluations
        let server = try LearnerServer(options: options)
        if alreadyFinished {
            say("the run in \(dir.path) has finished; serving its status and telling workers so, until stopped")
        } else if let r = resumeFrom {
            say("resuming \(run.envID) from \(checkpointURL.path): version \(r.version), \(r.envSteps) env steps")
        }
        say("learner: \(run.envID), \(run.totalUpdates) updates of \(run.ppo.rolloutSteps) transitions, seed \(seed), OpenBLAS \(Kernels.configureBLAS())")

        let host = options.host
        let envID = run.envID
        let metrics = try await SignalledShutdown.run(
            message: "stopping: finishing the update in progress, writing a checkpoint, saying goodbye to the workers",
            onShutdown: { Task { await server.stop() } }
        ) {
            try await server.run(onListening: { port in
                say("listening on \(host):\(port)")
                json?.listening(port: port, metricsPort: server.metricsPort)
            }, onFinished: { metrics in
                // A finished run served again keeps the summary its training wrote.
                if !alreadyFinished { Self.writeSummary(metrics, environment: envID, checkpoint: checkpointURL, into: dir) }
            })
        }
        if alreadyFinished { return }
        let dropped = metrics.transitionsDropped.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
        say("done: version \(metrics.policyVersion), \(metrics.updates) updates, \(metrics.envSteps) env steps\(metrics.reachedTarget == true ? " (reached --stop-at-return)" : "")\(metrics.reachedEvalTarget == true ? " (a greedy evaluation reached --stop-at-eval-return)" : ""); transitions received \(metrics.transitionsReceived) = trained \(metrics.transitionsTrained) + dropped \(metrics.droppedTotal)\(dropped.isEmpty ? "" : " (\(dropped))"); grants issued \(metrics.grantsIssued) = completed \(metrics.grantsCompleted) + returned \(metrics.grantsReturned) + open \(metrics.grantsOpen); frames rejected \(metrics.framesRejected.values.reduce(0, +)); \(metrics.bytesIn) bytes received; checkpoint \(checkpointURL.path)\(metrics.checkpoints.failures > 0 ? " (\(metrics.checkpoints.failures) checkpoint writes failed)" : "")")
        if let line = metrics.evaluationLine { say(line) }
        if let failure = metrics.checkpoints.finalFailure {
            FileHandle.standardError.write(Data("error: \(failure)\n".utf8))
            throw ExitCode(1)
        }
    }
}

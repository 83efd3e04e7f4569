import Foundation
import GymBridge
import Learner
import Logging
import Training
import TransportSecurity

/// A whole distributed run on one machine: ephemeral certificates, this process as the learner on a loopback
/// port with mutual TLS, and `workers` real `ppo-worker` processes. What `ppo train --workers N` runs.
struct LocalCluster: Sendable {
    var run: RunConfiguration
    var seed: UInt64
    var workers: Int
    /// The `ppo-worker` executable.
    var workerExecutable: URL
    var checkpoints: CheckpointPolicy
    var resume: Checkpoint?
    /// How `gym:` environments are started, by the learner (once, for the spaces) and by every worker.
    var bridge: BridgeOptions
    /// Threads of the learner's PPO update.
    var learnerThreads: Int
    /// Passed to every worker (`ppo-worker --step-delay`): a benchmark's simulated expensive environment.
    var stepDelay: Duration?
    /// The workers print only warnings and errors (`ppo-worker --quiet`).
    var quietWorkers: Bool
    /// The learner's status page and metrics on 127.0.0.1 at this port (0: any free one; nil: none).
    var statusPort: Int?
    var preset: String?
    /// Told the learner's port for workers and the status page's port (nil: none) once both listen.
    var onListening: @Sendable (_ port: Int, _ statusPort: Int?) -> Void
    var progress: @Sendable (TrainingProgress) -> Void
    /// A resumed run's evaluations, and who is told of each new one.
    var evaluationHistory = EvaluationHistory()
    var evaluated: @Sendable (EvaluationPoint) -> Void = { _ in }

    init(run: RunConfiguration, seed: UInt64, workers: Int, workerExecutable: URL, checkpoints: CheckpointPolicy,
                resume: Checkpoint? = nil, bridge: BridgeOptions = .default, learnerThreads: Int = 1, stepDelay: Duration? = nil,
                quietWorkers: Bool = false, statusPort: Int? = nil, preset: String? = nil,
                onListening: @escaping @Sendable (_ port: Int, _ statusPort: Int?) -> Void = { _, _ in }, progress: @escaping @Sendable (TrainingProgress) -> Void) {
        self.run = run
        self.seed = seed
        self.workers = workers
        self.workerExecutable = workerExecutable
        self.checkpoints = checkpoints
        self.resume = resume
        self.bridge = bridge
        self.learnerThreads = learnerThreads
        self.stepDelay = stepDelay
        self.quietWorkers = quietWorkers
        self.statusPort = statusPort
        self.preset = preset
        self.onListening = onListening
        self.progress = progress
    }

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// Runs to the end of training, or until `stop` is requested (the update in progress finishes, a checkpoint is
    /// written); returns the learner's final counters.
    func train(logger: Logger = Logger(label: "ppo.train"), stop: StopRequest? = nil) async throws -> LearnerMetrics {
        guard FileManager.default.isExecutableFile(atPath: workerExecutable.path) else {
            throw Failure(description: "\(workerExecutable.path) is missing: build the workers with `swift build -c release` (it builds ppo, ppo-learner and ppo-worker)")
        }
        let certs = FileManager.default.temporaryDirectory.appendingPathComponent("ppo-certs-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: certs) }
        _ = try CertificateBundle.create(in: certs, learnerHosts: ["127.0.0.1"], workers: workers, validityDays: 2)
        let tls = try LearnerTLS.load(directory: certs)
        var options = LearnerOptions(
            run: run, seed: seed, host: "127.0.0.1", port: 0, tls: tls.context, checkpoints: checkpoints,
            resume: resume, metricsPort: statusPort, metricsHost: "127.0.0.1", bridge: bridge, preset: preset,
            learnerThreads: learnerThreads, progress: progress)
        options.evaluationHistory = evaluationHistory
        options.evaluated = evaluated
        let server = try LearnerServer(options: options, logger: logger)
        stop?.onRequest { Task { await server.stop() } }
        let processes = ProcessGroup()
        defer { processes.terminateAll() }
        let envs = run.ppo.numEnvs
        let workerCount = workers
        let executable = workerExecutable
        let bridgeArguments = ["--python", bridge.python, "--env-timeout", "\(bridge.timeout.secondsValue)"]
            + (stepDelay.map { ["--step-delay", "\($0.secondsValue)"] } ?? []) + (quietWorkers ? ["--quiet"] : [])
        let onListening = self.onListening
        let metrics = try await server.run { port in
            onListening(port, server.metricsPort)
            for i in 1...workerCount {
                let p = Process()
                p.executableURL = executable
                p.arguments = ["--learner", "127.0.0.1:\(port)", "--tls-dir", certs.path, "--cert-name", "worker-\(i)",
                               "--envs", "\(envs)", "--id", "worker-\(i)", "--max-attempts", "20"] + bridgeArguments
                p.standardOutput = FileHandle.nullDevice
                do {
                    try p.run()
                    processes.add(p)
                } catch {
                    logger.error("cannot start \(executable.path): \(error)")
                }
            }
        }
        return metrics
    }
}

/// Child processes that must not outlive the run.
final class ProcessGroup: @unchecked Sendable {
    private let lock = NSLock()
    private var processes: [Process] = []

    func add(_ p: Process) {
        lock.lock()
        processes.append(p)
        lock.unlock()
    }

    /// SIGTERM, a short grace period, then SIGKILL.
    func terminateAll() {
        lock.lock()
        let all = processes
        processes = []
        lock.unlock()
        for p in all where p.isRunning { p.terminate() }
        let deadline = Date().addingTimeInterval(3)
        for p in all {
            while p.isRunning && Date() < deadline { usleep(20_000) }
            if p.isRunning { kill(p.processIdentifier, SIGKILL) }
        }
    }
}

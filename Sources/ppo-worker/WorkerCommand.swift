import ArgumentParser
import CommandSupport
import Environments
import Foundation
import Logging
import NIOSSL
import TransportSecurity
import Worker

@main
struct WorkerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ppo-worker",
        abstract: "A PPO worker: runs environments with the learner's current policy and sends what it collects.",
        discussion: """
            The worker connects to the learner over mutual TLS, learns the environment and the network from it, and collects exactly the steps it is granted with the policy version it holds. If the connection drops it reconnects with exponential backoff; it exits when the learner says training is finished, and at once (status 1) if the learner refuses it (a certificate from another CA, say).

            Examples:
              ppo-worker --learner learner.example:9000 --tls-dir certs --cert-name worker-3
              ppo-worker --learner 127.0.0.1:9000 --plaintext --envs 16
              ppo-worker --learner learner.example:9000 --tls-dir certs --cert-name worker-3 --python .venv/bin/python3

            For a gym:ID environment the worker starts one Python process (--python) that steps its --envs environments; if an environment raises, crashes, hangs past --env-timeout or returns NaN, the worker gives its grants back, restarts the Python process and carries on (at most --max-env-failures times in a row).
            """)

    @Option(help: ArgumentHelp("The learner's address.", valueName: "host:port"), transform: LearnerAddress.argument)
    var learner: LearnerAddress

    @OptionGroup var certificate: WorkerCertificateFlags

    @Flag(help: "Connect without TLS. Allowed only to a loopback learner.")
    var plaintext = false

    @Option(help: "Environments stepped together by this worker.")
    var envs = 8

    @Option(help: "Name of this worker in the learner's logs. Default: its certificate's name and the host name (worker-3.gpu-box); with --plaintext, the host name and process id.")
    var id: String?

    @Option(help: "Give up after this many failed connection attempts in a row (default: keep trying).")
    var maxAttempts: Int?

    @Option(help: ArgumentHelp(
        "Serve only a learner that trains this environment (a native id or gym:ID). Default: whatever the learner trains; for gym: ids that means importing the module the learner names, so pin it on machines you share.",
        valueName: "id"))
    var env: String?

    @Option(name: .customLong("env-arg"), help: ArgumentHelp("With --env gym:ID: a gymnasium.make keyword argument (repeatable).", valueName: "key=value"))
    var envArguments: [String] = []

    @OptionGroup(title: "With --env gym:ID: the registrations and wrappers it is made with (the learner's, or it refuses this worker)")
    var envSetup: EnvironmentSetupFlags

    @Option(help: "Environment failures in a row (an exception, a crash, a hang or NaN; each restarts the environment) before the worker gives up.")
    var maxEnvFailures = 3

    @Option(help: ArgumentHelp(
        "Seconds the learner may stay silent while this worker waits for it before the connection counts as dead and the worker reconnects (a partition, a learner host that lost power). Default: three of the learner's heartbeat intervals (15 s with its defaults).",
        valueName: "seconds"))
    var learnerTimeout: Double?

    @Option(help: ArgumentHelp(
        "Benchmarking only: every step of this worker's environments (all --envs at once) takes at least this long in wall time, sleeping, without using the CPU, as a remote or GPU simulator would (1ms, 10ms, 0.005). For measuring how a learner scales with many workers on one machine.",
        valueName: "duration"))
    var stepDelay: String?

    @OptionGroup var bridgeFlags: BridgeFlags

    @Flag(help: "Only print warnings and errors: no info lines (connecting, reconnecting, the run finished).")
    var quiet = false

    func validate() throws {
        if let learnerTimeout, !(1...86_400).contains(learnerTimeout) {
            throw ValidationError("--learner-timeout must be 1–86400 seconds")
        }
        guard (1...4096).contains(envs) else { throw ValidationError("--envs must be 1–4096") }
        if let stepDelay { _ = try DurationArgument.parse(stepDelay, flag: "--step-delay") }
        guard maxEnvFailures >= 1 else { throw ValidationError("--max-env-failures must be at least 1") }
        if !envArguments.isEmpty, env == nil { throw ValidationError("--env-arg goes with --env gym:ID") }
        if !(envSetup.registrations.isEmpty && envSetup.wrappers.isEmpty), env == nil {
            throw ValidationError("--env-register and --env-wrapper go with --env gym:ID (without it the worker applies the learner's)")
        }
        guard certificate.tlsDir != nil || plaintext else {
            throw ValidationError("give --tls-dir DIR (the bundle from `ppo certs`) and --cert-name, or --plaintext for a loopback learner")
        }
        if plaintext {
            do { try PlaintextPolicy.check(host: learner.host, use: .connect) } catch { throw ValidationError("\(error)") }
        }
        if let id, id.isEmpty || id.count > 64 || !id.allSatisfy({ $0.isLetter || $0.isNumber || "._-".contains($0) }) {
            throw ValidationError("--id must be 1–64 characters of letters, digits, . _ -")
        }
    }

    func run() async throws {
        ConsoleOutput.bootstrapLogging(level: quiet ? .warning : .info)
        let delay = try stepDelay.map { try DurationArgument.parse($0, flag: "--step-delay") }
        let (host, port) = (learner.host, learner.port)
        var context: NIOSSLContext?
        var serverHostname: String?
        if let tls = try certificate.load() {
            context = tls.context
            serverHostname = try WorkerTLS.serverHostname(forDialling: host)
        }
        // Named in the learner's log by --id, else by its certificate and host (replicas may share a certificate),
        // else by host and pid.
        let machine = ProcessInfo.processInfo.hostName.prefix(40)
        let fallback = certificate.tlsDir != nil ? "\(certificate.certName.prefix(23)).\(machine)" : "\(machine)-\(getpid())"
        let name = id ?? String(fallback.prefix(64)).map { $0.isLetter || $0.isNumber || "._-".contains($0) ? $0 : "-" }.reduce("") { $0 + String($1) }
        let envArgumentsJSON: String
        do {
            envArgumentsJSON = try EnvironmentSelection.arguments(fromPairs: envArguments)
        } catch {
            throw ValidationError("\(error)")
        }
        let options = WorkerOptions(
            host: host, port: port, tls: context, serverHostname: serverHostname, workerID: name, envID: env, envs: envs,
            maxAttempts: maxAttempts, envArguments: envArgumentsJSON, envSetup: try envSetup.setup(), bridge: bridgeFlags.options,
            maxEnvironmentFailures: maxEnvFailures, learnerTimeout: learnerTimeout.map { .milliseconds(Int64($0 * 1000)) },
            stepDelay: delay)
        let client = WorkerClient(options: options)
        do {
            try await client.run()
        } catch let error as WorkerError {
            FileHandle.standardError.write(Data("error: \(error)\n".utf8))
            throw ExitCode(1)
        } catch let error as EnvironmentError {
            FileHandle.standardError.write(Data("error: \(error)\n".utf8))
            throw ExitCode(1)
        }
    }
}

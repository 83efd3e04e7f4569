import ArgumentParser
import CommandSupport
import Foundation
import PPOBench
import TransportSecurity

struct FloodCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "flood",
        abstract: "Load test: synthetic workers answer every grant at once with recorded CartPole-v1 transitions.",
        discussion: """
            Measures how many transitions per second a learner takes in (and trains on) when collection costs nothing. Every connection uses the same worker certificate (--tls-dir, --cert-name), or plaintext to a loopback learner started with --plaintext. Benchmarks/learner-ingest.sh and Benchmarks/learner-load.sh run both.

            Example:
              ppo-learner --env CartPole-v1 --tls-dir certs --port 9000 &
              ppo flood --learner 127.0.0.1:9000 --tls-dir certs --connections 64 --seconds 60
            """)

    @Option(help: ArgumentHelp("The learner's address.", valueName: "host:port"), transform: LearnerAddress.argument)
    var learner: LearnerAddress

    @OptionGroup var certificate: WorkerCertificateFlags

    @Option(help: "Synthetic worker connections.")
    var connections = 32

    @Option(help: "Environments each synthetic worker announces.")
    var envs = 8

    @Option(help: "How long to flood, in seconds.")
    var seconds = 10.0

    @Flag(help: "Print the report as JSON.")
    var json = false

    func run() async throws {
        let (host, port) = (learner.host, learner.port)
        let tls = try certificate.load()
        if tls == nil {
            do { try PlaintextPolicy.check(host: host, use: .connect) } catch { throw ValidationError("\(error) (or give --tls-dir)") }
        }
        let report = try await Flood.run(host: host, port: port, connections: connections, envs: envs, seconds: seconds, tls: tls)
        if json {
            print(try ConsoleOutput.json(report))
        } else {
            print(String(format: "%d connections for %.1f s: %d batches, %d transitions sent (%d bytes), %d acknowledged: %.0f transitions/s",
                         report.connections, report.seconds, report.batchesSent, report.transitionsSent, report.bytesSent,
                         report.transitionsAcked, report.transitionsPerSecond))
        }
    }
}

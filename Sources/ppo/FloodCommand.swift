import ArgumentParser
import Foundation
import PPOBench

struct FloodCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "flood",
        abstract: "Load test: synthetic workers answer every grant at once with recorded CartPole-v1 transitions.",
        discussion: """
            Start a learner with --plaintext on 127.0.0.1 first; this measures how many transitions per second it takes in (and trains on) when collection costs nothing. Benchmarks/learner-ingest.sh runs both.
            """)

    @Option(help: "The learner, HOST:PORT (plaintext, loopback).")
    var learner: String

    @Option(help: "Synthetic worker connections.")
    var connections = 32

    @Option(help: "Environments each synthetic worker announces.")
    var envs = 8

    @Option(help: "How long to flood, in seconds.")
    var seconds = 10.0

    @Flag(help: "Print the report as JSON.")
    var json = false

    func run() async throws {
        guard let colon = learner.lastIndex(of: ":"), let port = Int(learner[learner.index(after: colon)...]) else {
            throw ValidationError("--learner must be HOST:PORT")
        }
        let host = String(learner[..<colon])
        let report = try await Flood.run(host: host, port: port, connections: connections, envs: envs, seconds: seconds)
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try encoder.encode(report), as: UTF8.self))
        } else {
            print(String(format: "%d connections for %.1f s: %d batches, %d transitions sent, %d acknowledged: %.0f transitions/s",
                         report.connections, report.seconds, report.batchesSent, report.transitionsSent, report.transitionsAcked,
                         report.transitionsPerSecond))
        }
    }
}

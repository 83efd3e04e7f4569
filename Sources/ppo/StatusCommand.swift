import ArgumentParser
import CommandSupport
import Foundation
import Learner
import TransportSecurity

/// `ppo status --learner HOST:PORT`: a running learner's `/status.json` as tables, for people on ssh.
struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show a running learner's status: the run, its recent updates and its workers.",
        discussion: """
            Reads GET /status.json from the learner's metrics port (plain HTTP: the port given to ppo-learner --metrics-port, or the one `ppo train` prints), the same document its status page at http://HOST:PORT/ shows.

            Examples:
              ppo status --learner 127.0.0.1:9100
              ppo status --learner learner.example:9100 --watch 2
              ppo status --learner 127.0.0.1:9100 --json
            """)

    @Option(help: ArgumentHelp("The learner's metrics port: HOST:PORT.", valueName: "host:port"), transform: LearnerAddress.argument)
    var learner: LearnerAddress

    @Flag(help: "Print /status.json itself instead of tables.")
    var json = false

    @Option(help: ArgumentHelp("Print again every SECONDS until interrupted (or the run ends).", valueName: "seconds"))
    var watch: Double?

    @Option(help: "Seconds to wait for the learner's answer.")
    var timeout = 10.0

    func validate() throws {
        guard timeout > 0 else { throw ValidationError("--timeout must be positive") }
        if let watch, watch < 0.2 { throw ValidationError("--watch must be at least 0.2 seconds") }
    }

    func run() async throws {
        while true {
            let status: RunStatus
            do {
                status = try await StatusClient.fetch(host: learner.host, port: learner.port, timeout: .milliseconds(Int(timeout * 1000)))
            } catch let failure as StatusClient.Failure {
                FileHandle.standardError.write(Data("error: \(failure)\n".utf8))
                throw ExitCode.failure
            }
            if json {
                print(String(decoding: try RunStatus.encoder().encode(status), as: UTF8.self))
            } else {
                print(StatusTable.render(status))
            }
            fflush(nil)
            guard let watch, status.run.state == "training" || status.run.state == "stopping" else { return }
            try await Task.sleep(for: .milliseconds(Int(watch * 1000)))
        }
    }
}

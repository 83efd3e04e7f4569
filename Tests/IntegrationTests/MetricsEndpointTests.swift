import Foundation
import Testing

/// `/metrics` of a real `ppo-learner` process, checked against the Prometheus text format.
@Suite("Prometheus endpoint (real processes)", .serialized)
struct MetricsEndpointTests {
    /// Checks the exposition format line by line (what `promtool check metrics` checks, less its style hints);
    /// returns the samples by name with labels.
    static func parse(_ body: String) -> [String: Double] {
        var types: [String: String] = [:]
        var helps = Set<String>()
        var samples: [String: Double] = [:]
        let name = /[a-zA-Z_:][a-zA-Z0-9_:]*/
        let labels = /\{([a-zA-Z_][a-zA-Z0-9_]*="[^"\\]*")(,[a-zA-Z_][a-zA-Z0-9_]*="[^"\\]*")*\}/
        #expect(body.hasSuffix("\n"), "the exposition ends with a newline")
        for line in body.split(separator: "\n", omittingEmptySubsequences: false).dropLast().map(String.init) {
            if line.hasPrefix("# HELP ") {
                let f = line.split(separator: " ", maxSplits: 3)
                #expect(f.count == 4 && !helps.contains(String(f[2])), "\(line)")
                helps.insert(String(f[2]))
            } else if line.hasPrefix("# TYPE ") {
                let f = line.split(separator: " ")
                #expect(f.count == 4 && ["counter", "gauge"].contains(String(f[3])) && types[String(f[2])] == nil, "\(line)")
                types[String(f[2])] = String(f[3])
            } else {
                let f = line.split(separator: " ")
                #expect(f.count == 2, "sample line '\(line)'")
                guard f.count == 2 else { continue }
                let full = String(f[0])
                let metric = String(full.prefix { $0 != "{" })
                #expect(metric.wholeMatch(of: name) != nil, "metric name \(metric)")
                let labelPart = full.dropFirst(metric.count)
                #expect(labelPart.isEmpty || labelPart.wholeMatch(of: labels) != nil, "labels \(labelPart)")
                let value = Double(String(f[1]))
                #expect(value != nil || f[1] == "NaN", "value in '\(line)'")
                #expect(samples[full] == nil, "\(full) appears twice")
                samples[full] = value ?? .nan
                #expect(types[metric] != nil && helps.contains(metric), "\(metric) has no TYPE or HELP before its samples")
                if types[metric] == "counter" { #expect((value ?? -1) >= 0, "counter \(full) is negative") }
            }
        }
        for (metric, type) in types {
            #expect((type == "counter") == metric.hasSuffix("_total"), "\(type) \(metric): counters, and only counters, end in _total")
        }
        return samples
    }

    /// `promtool` on PATH (Debian's prometheus package), if there is one.
    static var promtool: URL? {
        (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":")
            .map { URL(fileURLWithPath: String($0)).appendingPathComponent("promtool") }
            .first { FileManager.default.isExecutableFile(atPath: $0.path) }
    }

    @Test("GET /metrics during a run: valid exposition (promtool check metrics when installed, and the parser), every documented metric, 404 elsewhere; at the end the accounting balances",
          .timeLimit(.minutes(5)))
    func exposition() async throws {
        let dir = temporaryDirectory("metrics")
        defer { try? FileManager.default.removeItem(at: dir) }
        let started = try await StartedLearner.start([
            "--env", "CartPole-v1", "--plaintext", "--host", "127.0.0.1",
            "--checkpoint-dir", dir.appendingPathComponent("run").path, "--checkpoint-every", "0", "--steps", "100000000"], metrics: true)
        let learner = started.process, port = started.port
        let metricsPort = try #require(started.metricsPort)
        defer { learner.kill9() }
        let worker = try Spawned("ppo-worker", ["--learner", "127.0.0.1:\(port)", "--plaintext", "--id", "w1"], name: "w1")
        defer { worker.kill9() }
        try #require(await learner.wait(for: 120) { _ in learner.lastUpdate >= 3 }, "\(learner.stderr.suffix(800))")

        let (status, body) = try await httpGet(port: metricsPort, path: "/metrics")
        #expect(status == 200)
        #expect(try await httpGet(port: metricsPort, path: "/other").status == 404)
        let samples = Self.parse(body)
        let documented = ["ppo_policy_version", "ppo_updates_total", "ppo_env_steps_total", "ppo_workers_connected", "ppo_connections_total",
                          "ppo_transitions_received_total", "ppo_transitions_trained_total", "ppo_transitions_dropped_total{reason=\"stale\"}",
                          "ppo_frames_rejected_total{reason=\"badMagic\"}", "ppo_grants_issued_total", "ppo_grants_completed_total",
                          "ppo_grants_returned_total", "ppo_grants_open", "ppo_received_bytes_total", "ppo_update_duration_seconds",
                          "ppo_update_duration_seconds_total", "ppo_episodes_total", "ppo_episode_return"]
        for name in documented { #expect(samples[name] != nil, "\(name) missing") }
        #expect((samples["ppo_updates_total"] ?? 0) >= 3 && samples["ppo_workers_connected"] == 1)

        if let promtool = Self.promtool {
            let check = Process()
            check.executableURL = promtool
            check.arguments = ["check", "metrics"]
            let input = Pipe(), output = Pipe()
            check.standardInput = input
            check.standardOutput = output
            check.standardError = output
            try check.run()
            input.fileHandleForWriting.write(Data(body.utf8))
            try input.fileHandleForWriting.close()
            let report = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            check.waitUntilExit()
            #expect(check.terminationStatus == 0 && report.isEmpty, "promtool check metrics: \(report)")
        }

        // A connection that never sends a request is closed (after 5 s), so idle ones cannot pile up.
        let silent = try await TLSPeer(port: metricsPort, tls: nil)
        #expect(await silent.receive(timeout: 20) == .closed, "an idle metrics connection stayed open")

        kill(learner.process.processIdentifier, SIGTERM)
        #expect(await learner.waitForExit(timeout: 60) == 0, "\(learner.stderr.suffix(1500))")
        let m = try learnerSummary(dir.appendingPathComponent("run"))
        #expect(m.transitionsReceived == m.transitionsTrained + m.droppedTotal, "\(m)")
    }
}

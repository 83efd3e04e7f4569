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

        // Two requests in one write on one connection: one answer, then the connection closes; the endpoint
        // and the learner carry on.
        let pipelined = rawExchange(port: metricsPort, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\nGET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(pipelined.components(separatedBy: "HTTP/1.1 200 OK").count - 1 == 1, "\(pipelined.prefix(300))")
        #expect(try await httpGet(port: metricsPort, path: "/metrics").status == 200)

        // A connection that never sends a request is closed (after 5 s), so idle ones cannot pile up.
        let silent = try await TLSPeer(port: metricsPort, tls: nil)
        #expect(await silent.receive(timeout: 20) == .closed, "an idle metrics connection stayed open")

        kill(learner.process.processIdentifier, SIGTERM)
        #expect(await learner.waitForExit(timeout: 60) == 0, "\(learner.crashReport.isEmpty ? String(learner.stderr.suffix(1500)) : learner.crashReport)")
        let m = try learnerSummary(dir.appendingPathComponent("run"))
        #expect(m.transitionsReceived == m.transitionsTrained + m.droppedTotal, "\(m)")
    }
}

/// Sends `request` as one write on a new TCP connection to 127.0.0.1:`port` and reads until the server closes
/// (or 10 s pass): the raw bytes, for what an HTTP client library would not send.
/// A blocking TCP socket connected to 127.0.0.1:`port`, or nil (closed) if the connection failed.
func connectLoopback(port: Int) -> Int32? {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { return nil }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = UInt16(port).bigEndian
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    let connected = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    guard connected == 0 else {
        close(fd)
        return nil
    }
    return fd
}

func rawExchange(port: Int, _ request: String) -> String {
    guard let fd = connectLoopback(port: port) else { return "" }
    defer { close(fd) }
    var timeout = timeval(tv_sec: 10, tv_usec: 0)
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    let bytes = Array(request.utf8)
    _ = bytes.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, 0) }
    var received: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 65536)
    while true {
        let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        guard n > 0 else { break }
        received += chunk[0..<n]
    }
    return String(decoding: received, as: UTF8.self)
}

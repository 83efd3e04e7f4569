import Foundation
import Testing
import Training
@testable import Learner
@testable import Worker

@Suite("Prometheus endpoint")
struct MetricsTests {
    /// GET `path` from 127.0.0.1:`port` over a plain socket; returns the body.
    static func get(port: Int, path: String) throws -> (status: String, body: String) {
        let peer = try RawPeer(port: port)
        peer.send(Array("GET \(path) HTTP/1.1\r\nHost: localhost\r\n\r\n".utf8))
        var response: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = chunk.withUnsafeMutableBytes { recv(peer.fd, $0.baseAddress, $0.count, 0) }
            if n <= 0 { break }
            response += chunk[0..<n]
        }
        let text = String(decoding: response, as: UTF8.self)
        let parts = text.components(separatedBy: "\r\n\r\n")
        return (parts.first?.split(separator: "\r\n").first.map(String.init) ?? "", parts.dropFirst().joined(separator: "\r\n\r\n"))
    }

    @Test("/metrics is valid Prometheus text: HELP and TYPE for every metric, counters end in _total, values parse; accounting balances")
    func exposition() async throws {
        var run = try Presets.load("CartPole-v1")
        run.totalSteps = 100 * run.ppo.rolloutSteps
        let server = try LearnerServer(options: LearnerOptions(run: run, seed: 1, host: "127.0.0.1", port: 0, tls: nil,
                                                               checkpointEvery: 0, metricsPort: 0, metricsHost: "127.0.0.1"))
        let ports = AsyncStream<Int>.makeStream()
        async let final = server.run { ports.continuation.yield($0) }
        var it = ports.stream.makeAsyncIterator()
        let port = try #require(await it.next())
        let worker = Task {
            try await WorkerClient(options: WorkerOptions(host: "127.0.0.1", port: port, tls: nil, workerID: "m", envs: 8, maxAttempts: 3)).run()
        }
        // Scrape while the run goes.
        while await server.metrics().updates < 3 { try await Task.sleep(for: .milliseconds(20)) }
        let metricsPort = try #require(server.metricsPort)
        let (status, live) = try Self.get(port: metricsPort, path: "/metrics")
        #expect(status == "HTTP/1.1 200 OK")
        #expect(try Self.get(port: metricsPort, path: "/other").status == "HTTP/1.1 404 Not Found")
        try await worker.value
        let end = try await final
        _ = try Self.parse(live)
        let samples = try Self.parse(end.prometheusText())
        #expect(samples["ppo_updates_total"] == 100)
        let received = try #require(samples["ppo_transitions_received_total"])
        let trained = try #require(samples["ppo_transitions_trained_total"])
        let dropped = samples.filter { $0.key.hasPrefix("ppo_transitions_dropped_total") }.values.reduce(0, +)
        #expect(received == trained + dropped && trained == Double(100 * run.ppo.rolloutSteps))
    }

    /// Checks the exposition format line by line; returns the samples.
    static func parse(_ body: String) throws -> [String: Double] {

        var types: [String: String] = [:]
        var helps = Set<String>()
        var samples: [String: Double] = [:]
        let name = try Regex("^[a-zA-Z_:][a-zA-Z0-9_:]*$")
        for line in body.split(separator: "\n").map(String.init) {
            if line.hasPrefix("# HELP ") {
                let f = line.split(separator: " ", maxSplits: 3)
                #expect(f.count == 4, "\(line)")
                helps.insert(String(f[2]))
            } else if line.hasPrefix("# TYPE ") {
                let f = line.split(separator: " ")
                #expect(f.count == 4 && ["counter", "gauge"].contains(String(f[3])), "\(line)")
                types[String(f[2])] = String(f[3])
            } else {
                let f = line.split(separator: " ")
                #expect(f.count == 2, "\(line)")
                let full = String(f[0])
                let metric = String(full.split(separator: "{")[0])
                #expect(metric.wholeMatch(of: name) != nil, "\(metric)")
                if full.contains("{") { #expect(full.hasSuffix("\"}") && full.contains("=\""), "\(full)") }
                let value = Double(String(f[1]))
                #expect(value != nil || f[1] == "NaN", "\(line)")
                samples[full] = value ?? .nan
                #expect(types[metric] != nil && helps.contains(metric), "\(metric) has no TYPE/HELP before its samples")
            }
        }
        for (metric, type) in types where type == "counter" {
            #expect(metric.hasSuffix("_total"), "counter \(metric) should end in _total")
        }
        #expect(!samples.isEmpty)
        return samples
    }
}

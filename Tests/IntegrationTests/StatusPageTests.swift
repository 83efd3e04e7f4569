import Foundation
import Learner
import Testing

/// The learner's status page, `/status.json`, `ppo status` and the health answers, against real processes.
@Suite("Status page and /status.json (real processes)", .serialized)
struct StatusPageTests {
    static let packageRoot: URL = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url
    }()

    /// Where the browser test leaves its screenshot: `.build/test-output/` of the package.
    static let outputFolder = packageRoot.appendingPathComponent(".build/test-output")

    static let python: String = {
        if let p = ProcessInfo.processInfo.environment["PPO_PYTHON"], !p.isEmpty { return p }
        let venv = packageRoot.appendingPathComponent(".build/ci-python/bin/python3").path
        return FileManager.default.isExecutableFile(atPath: venv) ? venv : "python3"
    }()

    /// Chromium, its WebDriver and selenium are there; without them the browser test is skipped, unless
    /// `PPO_REQUIRE_BROWSER=1` (CI), where it runs and fails.
    static var browserEnabled: Bool {
        let tools = ["/usr/bin/chromium", "/usr/bin/chromedriver"].allSatisfy { FileManager.default.isExecutableFile(atPath: $0) }
        return (tools && run(python, ["-c", "import selenium"]) == 0) || ProcessInfo.processInfo.environment["PPO_REQUIRE_BROWSER"] == "1"
    }

    /// A plaintext CartPole learner with its metrics port, training long enough for the test, with fast updates.
    static func learner(_ dir: URL, extra: [String] = []) async throws -> StartedLearner {
        try await StartedLearner.start([
            "--env", "CartPole-v1", "--plaintext", "--host", "127.0.0.1", "--metrics-host", "127.0.0.1",
            "--checkpoint-dir", dir.appendingPathComponent("run").path, "--checkpoint-every", "0", "--idle-timeout", "6",
        ] + extra, metrics: true)
    }

    static func worker(_ id: String, port: Int) throws -> Spawned {
        try Spawned("ppo-worker", ["--learner", "127.0.0.1:\(port)", "--plaintext", "--id", id, "--envs", "4"], name: id)
    }

    @Test("headless Chromium: the plot has points and grows, with the greedy evaluations; the latest evaluation's video plays; both workers are listed, a killed worker shows as gone within its heartbeat timeout; screenshot written",
          .enabled(if: browserEnabled), .timeLimit(.minutes(5)))
    func pageInBrowser() async throws {
        let dir = temporaryDirectory("status-page")
        defer { try? FileManager.default.removeItem(at: dir) }
        let started = try await Self.learner(dir, extra: ["--steps", "100000000", "--set", "update_epochs=4", "--eval-every", "3",
                                                          "--eval-episodes", "2", "--eval-video"])
        defer { started.process.kill9() }
        let metricsPort = try #require(started.metricsPort)
        let w1 = try Self.worker("w1", port: started.port), w2 = try Self.worker("w2", port: started.port)
        defer { w1.kill9(); w2.kill9() }
        try #require(await started.process.wait(for: 120) { _ in started.process.lastUpdate >= 2 }, "\(started.process.stderr.suffix(800))")

        try FileManager.default.createDirectory(at: Self.outputFolder, withIntermediateDirectories: true)
        let screenshot = Self.outputFolder.appendingPathComponent("status-page.png")
        try? FileManager.default.removeItem(at: screenshot)
        let script = Self.packageRoot.appendingPathComponent("Tests/IntegrationTests/browser/status_page_check.py").path
        let (status, output, errors) = await Self.capture(Self.python, [script, "--url", "http://127.0.0.1:\(metricsPort)/", "--kill-pid",
                                                                 "\(w2.process.processIdentifier)", "--kill-id", "w2", "--screenshot", screenshot.path])
        try #require(status == 0, "the browser script failed (\(status)): \(errors.suffix(1500))")
        let parsed = try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: Any]
        let report = try #require(parsed, "\(output)")
        try Data(output.utf8).write(to: Self.outputFolder.appendingPathComponent("status-page.json"))
        let first = report["points_first"] as? Int ?? 0, later = report["points_later"] as? Int ?? 0
        #expect(first >= 2, "the plot had \(first) points")
        #expect(later > first, "the plot did not grow on the open page: \(first) then \(later) points")
        #expect((report["polls"] as? Int ?? 0) >= 2, "the page redrew \(report["polls"] ?? 0) times")
        #expect((report["eval_points"] as? Int ?? 0) >= 1, "the plot showed no evaluation: \(report)")
        let video = try #require(report["video"] as? [String: Int], "the page showed no evaluation video: \(report)")
        #expect(video["width"] == 600 && video["height"] == 400 && (video["update"] ?? 0) % 3 == 0 && (video["update"] ?? 0) > 0, "\(video)")
        #expect(report["workers_before"] as? [String: String] == ["w1": "connected", "w2": "connected"], "\(report)")
        // The learner's heartbeat timeout here is its --idle-timeout of 6 s; a killed process's socket closes at once.
        let gone = try #require(report["gone_after_seconds"] as? Double, "the page never showed w2 as gone: \(report)")
        #expect(gone < 6, "w2 shown as gone after \(gone) s")
        #expect(report["workers_after"] as? [String: String] == ["w1": "connected", "w2": "gone"], "\(report)")
        let png = try Data(contentsOf: screenshot)
        #expect(png.count > 10_000 && png.prefix(4) == Data([0x89, 0x50, 0x4E, 0x47]), "screenshot of \(png.count) bytes")
    }

    /// Every key of `/status.json`, at every level, with its JSON type: the documented, stable names.
    static let schema: [String: [String: String]] = [
        "": ["schema": "number", "generated_at": "string", "run": "object", "curve": "array", "recent_updates": "array",
             "workers": "array", "refusals": "object", "grants": "object", "checkpoints": "object", "evaluation": "object?"],
        "run": ["run_id": "string", "env": "string", "preset": "string", "seed": "number", "state": "string",
                "policy_version": "number", "updates": "number", "total_updates": "number", "env_steps": "number",
                "total_env_steps": "number", "steps_per_second": "number", "elapsed_seconds": "number", "eta_seconds": "number?",
                "episodes": "number", "recent_return": "number?", "workers_connected": "number"],
        "curve": ["env_steps": "number", "mean_return": "number"],
        "recent_updates": ["update": "number", "env_steps": "number", "policy_loss": "number?", "value_loss": "number?",
                           "entropy": "number?", "approx_kl": "number?", "clip_fraction": "number?",
                           "explained_variance": "number?", "seconds": "number"],
        "workers": ["id": "string", "state": "string", "address": "string", "envs": "number", "transitions": "number",
                    "batches": "number", "steps_per_second": "number", "open_grants": "number", "connected_at": "string",
                    "last_seen_at": "string", "seconds_since_seen": "number", "reconnects": "number", "last_end": "string?"],
        "refusals": ["frames_rejected": "object", "transitions_dropped": "object"],
        "grants": ["issued": "number", "completed": "number", "returned": "number", "open": "number"],
        "checkpoints": ["written": "number", "failures": "number"],
        "evaluation": ["every": "number", "episodes": "number", "target": "number?", "points": "array", "best": "object?",
                       "video_update": "number?"],
        "evaluation.points": ["update": "number", "env_steps": "number", "episodes": "number", "mean": "number", "std": "number",
                              "seconds": "number"],
    ]

    /// Checks one object against `schema[level]`: no key missing, none unknown, each of its type (`?`: or absent).
    static func check(_ object: [String: Any], level: String) {
        guard let expected = schema[level] else { return }
        #expect(Set(object.keys).isSubset(of: Set(expected.keys)), "\(level): unknown keys \(Set(object.keys).subtracting(expected.keys))")
        for (key, type) in expected {
            let optional = type.hasSuffix("?")
            guard let value = object[key], !(value is NSNull) else {
                #expect(optional, "\(level).\(key) is missing")
                continue
            }
            let actual = value is String ? "string" : value is [Any] ? "array" : value is [String: Any] ? "object" : value is NSNumber ? "number" : "other"
            #expect(actual == String(type.prefix { $0 != "?" }), "\(level).\(key) is \(actual), not \(type)")
        }
    }

    @Test("/status.json: the documented keys and types at every level, values agreeing with /metrics; the evaluations while training and their video (/eval.gif); ppo status prints it as tables and as JSON; health and readiness answer",
          .timeLimit(.minutes(5)))
    func statusDocumentAndCommand() async throws {
        let dir = temporaryDirectory("status-json")
        defer { try? FileManager.default.removeItem(at: dir) }
        let started = try await Self.learner(dir, extra: ["--steps", "100000000", "--eval-every", "2", "--eval-episodes", "2", "--eval-video"])
        defer { started.process.kill9() }
        let port = try #require(started.metricsPort)
        let w1 = try Self.worker("w1", port: started.port)
        defer { w1.kill9() }
        try #require(await started.process.wait(for: 120) { _ in started.process.lastUpdate >= 3 }, "\(started.process.stderr.suffix(800))")

        let (code, body) = try await httpGet(port: port, path: "/status.json")
        #expect(code == 200)
        let root = try #require(try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any])
        Self.check(root, level: "")
        for level in ["run", "refusals", "grants", "checkpoints", "evaluation"] { Self.check(root[level] as? [String: Any] ?? [:], level: level) }
        let evaluations = (root["evaluation"] as? [String: Any])?["points"] as? [[String: Any]] ?? []
        #expect(!evaluations.isEmpty, "no evaluation in status.json after update 3 (one follows update 2)")
        for item in evaluations { Self.check(item, level: "evaluation.points") }
        for level in ["curve", "recent_updates", "workers"] {
            let items = root[level] as? [[String: Any]] ?? []
            #expect(!items.isEmpty, "\(level) is empty")
            for item in items { Self.check(item, level: level) }
        }
        let status = try RunStatus.decoder().decode(RunStatus.self, from: Data(body.utf8))
        #expect(status.schema == RunStatus.schemaVersion && status.run.env == "CartPole-v1" && status.run.state == "training")
        #expect(status.workers.map(\.id) == ["w1"] && status.workers.first?.address.hasPrefix("127.0.0.1:") == true)
        #expect(status.run.updates >= 3 && status.curve.count <= status.run.updates)
        let text = try await httpGet(port: port, path: "/metrics").body
        #expect((sample("ppo_updates_total", in: text) ?? -1) >= Double(status.run.updates), "status after metrics")
        let evaluation = try #require(status.evaluation)
        #expect(evaluation.every == 2 && evaluation.episodes == 2 && evaluation.points.allSatisfy { $0.update % 2 == 0 && $0.episodes == 2 })
        #expect(evaluation.best.map { b in evaluation.points.allSatisfy { $0.mean <= b.mean } } == true)
        #expect((sample("ppo_evaluations_total", in: text) ?? 0) >= 1 && sample("ppo_eval_mean_return", in: text)?.isFinite == true, "\(text)")
        // The latest evaluation's first episode, an animated GIF of CartPole's 600 × 400 frames.
        let videoUpdate = try #require(evaluation.videoUpdate)
        #expect(evaluation.points.contains { $0.update == videoUpdate })
        let gif = try await httpGetBytes(port: port, path: "/eval.gif")
        #expect(gif.status == 200 && Array(gif.body.prefix(6)) == Array("GIF89a".utf8) && gif.body.count > 1000, "\(gif.status), \(gif.body.count) bytes")
        #expect(gif.body.count > 10 && Int(gif.body[6]) | Int(gif.body[7]) << 8 == 600 && Int(gif.body[8]) | Int(gif.body[9]) << 8 == 400)

        #expect(try await httpGet(port: port, path: "/healthz").status == 200)
        #expect(try await httpGet(port: port, path: "/readyz") == (200, "ready (training)\n"))
        let page = try await httpGet(port: port, path: "/")
        #expect(page.status == 200 && page.body.contains("fetch(\"status.json\""))
        // Self-contained: no script, style, image or font from anywhere, and status.json its only fetch.
        // (The one source the page sets is the learner's own evaluation video, eval.gif, on the same origin.)
        for pattern in [#/(?:src|href)\s*=(?!\s*"eval\.gif\?)/#, #/<link/#, #/@import/#, #/url\(/#] as [Regex<Substring>] {
            #expect(page.body.firstMatch(of: pattern) == nil, "the page loads something: \(pattern)")
        }
        #expect(page.body.components(separatedBy: "fetch(").count == 2, "one fetch, of status.json")

        let table = await Self.capture(Spawned.products.appendingPathComponent("ppo").path, ["status", "--learner", "127.0.0.1:\(port)"])
        #expect(table.status == 0, "\(table.errors)")
        #expect(table.output.contains("CartPole-v1") && table.output.contains("training") && table.output.contains("w1")
                && table.output.contains("127.0.0.1:") && table.output.contains("policy loss")
                && table.output.contains("greedy evaluation every 2 updates (2 episodes): latest "), "\(table.output)")
        let json = await Self.capture(Spawned.products.appendingPathComponent("ppo").path, ["status", "--learner", "127.0.0.1:\(port)", "--json"])
        #expect(json.status == 0 && (try? RunStatus.decoder().decode(RunStatus.self, from: Data(json.output.utf8)))?.run.runID == status.run.runID)
        // Not a learner's port: one sentence, status 1.
        let wrong = await Self.capture(Spawned.products.appendingPathComponent("ppo").path, ["status", "--learner", "127.0.0.1:\(started.port)", "--timeout", "3"])
        #expect(wrong.status == 1 && wrong.errors.hasPrefix("error: ") && wrong.errors.split(separator: "\n").count == 1, "\(wrong.errors)")
    }

    @Test("--serve-after-finish: after the last update the learner stays ready with state finished, a worker that connects then exits 0, SIGTERM exits 0; restarted with --resume-if-present it serves the finished run and keeps its summary",
          .timeLimit(.minutes(5)))
    func serveAfterFinish() async throws {
        let dir = temporaryDirectory("serve-after-finish")
        defer { try? FileManager.default.removeItem(at: dir) }
        let args = ["--steps", "2048", "--serve-after-finish", "--resume-if-present"]
        let first = try await Self.learner(dir, extra: args)
        defer { first.process.kill9() }
        let port = try #require(first.metricsPort)
        let w1 = try Self.worker("w1", port: first.port)
        defer { w1.kill9() }
        #expect(await w1.waitForExit(timeout: 120) == 0, "the worker did not exit 0 at the run's end: \(w1.stderr.suffix(600))")
        let ended = try RunStatus.decoder().decode(RunStatus.self, from: Data(try await httpGet(port: port, path: "/status.json").body.utf8))
        #expect(ended.run.state == "finished" && ended.run.updates == ended.run.totalUpdates && ended.workers.first?.state == "gone")
        #expect(try await httpGet(port: port, path: "/readyz") == (200, "ready (finished)\n"))
        let summary = try learnerSummary(dir.appendingPathComponent("run"))
        #expect(summary.updates == ended.run.totalUpdates, "summary.json is written when the run ends, not at SIGTERM")
        let late = try Self.worker("late", port: first.port)
        defer { late.kill9() }
        #expect(await late.waitForExit(timeout: 30) == 0, "a worker connecting after the end: \(late.stderr.suffix(600))")
        #expect(late.stderr.contains("finished"), "\(late.stderr.suffix(400))")
        kill(first.process.process.processIdentifier, SIGTERM)
        #expect(await first.process.waitForExit(timeout: 60) == 0, "\(first.process.stderr.suffix(800))")

        // The supervisor starts the same command again: the finished run is served, not retrained, not refused.
        let second = try await Self.learner(dir, extra: args)
        defer { second.process.kill9() }
        let again = try RunStatus.decoder().decode(RunStatus.self, from: Data(try await httpGet(port: try #require(second.metricsPort), path: "/status.json").body.utf8))
        #expect(again.run.state == "finished" && again.run.updates == ended.run.updates, "\(again.run)")
        let third = try Self.worker("after-restart", port: second.port)
        defer { third.kill9() }
        #expect(await third.waitForExit(timeout: 30) == 0, "\(third.stderr.suffix(600))")
        kill(second.process.process.processIdentifier, SIGTERM)
        #expect(await second.process.waitForExit(timeout: 60) == 0, "\(second.process.stderr.suffix(800))")
        #expect(try learnerSummary(dir.appendingPathComponent("run")) == summary, "the restart rewrote summary.json")
    }

    /// The exit status of a short command (blocking: only for the checks that decide whether a test runs).
    static func run(_ executable: String, _ arguments: [String]) -> Int32 {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = [executable] + arguments
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        do { try p.run() } catch { return -1 }
        p.waitUntilExit()
        return p.terminationStatus
    }

    /// Runs a command to its end (a bare name is looked up on PATH), at most `timeout` seconds: status (-1 if it
    /// could not start or was killed at the timeout), standard output, standard error. Waits with `Task.sleep`,
    /// never holding one of the few threads the other tests' learners and workers run on.
    static func capture(_ executable: String, _ arguments: [String], timeout: Double = 180) async -> (status: Int32, output: String, errors: String) {
        let path = executable.contains("/") ? executable
            : (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":")
                .map { "\($0)/\(executable)" }.first { FileManager.default.isExecutableFile(atPath: $0) } ?? executable
        guard let p = try? Spawned(url: URL(fileURLWithPath: path), arguments, name: executable) else { return (-1, "", "cannot start \(path)") }
        let status = await p.waitForExit(timeout: timeout)  // and everything it wrote is read
        return (status ?? -1, p.stdout, p.stderr)
    }
}

import Foundation
import Testing

/// `--progress-json`: the run's progress for programs, as JSON lines.
@Suite("Progress as JSON lines (real processes)")
struct ProgressJSONTests {
    @Test("ppo train --progress-json FILE: one object per update (counts, losses) and per evaluation, appended on --resume; '-' puts only JSON on standard output",
          .timeLimit(.minutes(5)))
    func trainWritesJSONLines() async throws {
        let dir = temporaryDirectory("progress-json")
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("progress.jsonl")
        let common = ["train", "--env", "CartPole-v1", "--workers", "0", "--set", "update_epochs=1", "--eval-episodes", "0",
                      "--out", dir.appendingPathComponent("run").path, "--progress-json", file.path]
        let run = try Spawned("ppo", common + ["--steps", "768", "--eval-every", "2", "--eval-episodes", "2"], name: "train")
        #expect(await run.waitForExit(timeout: 120) == 0, "\(run.stderr.suffix(600))")
        let events = try Self.objects(in: Data(contentsOf: file))
        let updates = events.filter { $0["event"] as? String == "update" }
        #expect(updates.compactMap { $0["update"] as? Int } == [1, 2, 3], "\(events)")
        #expect(updates.allSatisfy { $0["total_updates"] as? Int == 3 && $0["workers"] == nil })
        #expect(updates.compactMap { $0["env_steps"] as? Int } == [256, 512, 768])
        let losses = try #require(updates.last?["losses"] as? [String: Any])
        for key in ["policy", "value", "entropy", "approx_kl", "clip_fraction", "explained_variance", "grad_norm", "learning_rate"] {
            #expect(losses[key] is Double || losses[key] is NSNull, "losses.\(key): \(String(describing: losses[key]))")
        }
        #expect((losses["entropy"] as? Double).map { $0 > 0 && $0 <= log(2) + 1e-6 } == true)
        let evaluations = events.filter { $0["event"] as? String == "evaluation" }
        #expect(evaluations.compactMap { $0["update"] as? Int } == [2], "\(events)")

        // --resume appends to the same file.
        let resumed = try Spawned("ppo", common + ["--steps", "1024", "--resume"], name: "train-resumed")
        #expect(await resumed.waitForExit(timeout: 120) == 0, "\(resumed.stderr.suffix(600))")
        let after = try Self.objects(in: Data(contentsOf: file)).filter { $0["event"] as? String == "update" }
        #expect(after.compactMap { $0["update"] as? Int } == [1, 2, 3, 4])

        // '-': standard output is JSON lines only; the lines for people go to standard error.
        let toStdout = try Spawned("ppo", ["train", "--env", "CartPole-v1", "--workers", "0", "--steps", "512", "--set", "update_epochs=1",
                                           "--eval-episodes", "0", "--out", dir.appendingPathComponent("stdout").path, "--progress-json", "-"],
                                   name: "train-stdout")
        #expect(await toStdout.waitForExit(timeout: 120) == 0, "\(toStdout.stderr.suffix(600))")
        let lines = toStdout.stdout.split(separator: "\n")
        #expect(lines.count == 2 && lines.allSatisfy { (try? JSONSerialization.jsonObject(with: Data($0.utf8))) is [String: Any] },
                "standard output: \(toStdout.stdout.prefix(600))")
        #expect(toStdout.stderr.contains("training CartPole-v1"), "\(toStdout.stderr.prefix(600))")
    }

    @Test("--progress-json in a folder that does not exist: one sentence naming the flag, exit status nonzero", .timeLimit(.minutes(2)))
    func unwritable() async throws {
        let run = try Spawned("ppo", ["train", "--env", "CartPole-v1", "--workers", "0", "--steps", "512",
                                      "--out", temporaryDirectory("progress-bad").path, "--progress-json", "/nonexistent/dir/p.jsonl"],
                              name: "train-bad")
        #expect(await run.waitForExit(timeout: 60) != 0)
        #expect(run.stderr.contains("--progress-json /nonexistent/dir/p.jsonl: cannot create it"), "\(run.stderr)")
    }

    static func objects(in data: Data) throws -> [[String: Any]] {
        try data.split(separator: 0x0A).map { line in
            try #require(try JSONSerialization.jsonObject(with: Data(line)) as? [String: Any], "not a JSON object: \(String(decoding: line, as: UTF8.self))")
        }
    }
}

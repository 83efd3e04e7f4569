import Foundation
import PPOCore
import Testing
@testable import Training
import TestSupport

@Suite("Ending a run at a return target (stop_at_return)", .offThePool)
struct StopAtReturnTests {
    @Test("the window holds the last 20 returns; it reaches a target only when full and its mean is at least the target; no target is never reached")
    func window() {
        var recent = RecentReturns()
        for _ in 0..<19 { recent.append(500) }
        #expect(recent.mean == 500 && !recent.reaches(475), "19 episodes are not a full window")
        recent.append(500)
        #expect(recent.reaches(475) && recent.reaches(500) && !recent.reaches(500.5))
        #expect(!recent.reaches(nil))
        recent.append(100)
        #expect(recent.values.count == RecentReturns.window && recent.values.first == 500 && recent.values.last == 100)
        #expect(recent.mean == (19 * 500 + 100) / 20.0 && !recent.reaches(500))
        #expect(RecentReturns(saved: Array(repeating: 1, count: 21)) == nil)
        #expect(RecentReturns(saved: [1, .nan]) == nil && RecentReturns(saved: [.infinity]) == nil)
        #expect(RecentReturns(saved: [1, 2])?.values == [1, 2])
    }

    @Test("stop_at_return is a run key: from YAML, --set (null clears it) and --stop-at-return; a value that is not a finite number is refused by name")
    func configuration() throws {
        let parsed = try RunConfiguration.parse(yaml: "env: CartPole-v1\nstop_at_return: 475\n", source: "test.yaml")
        #expect(parsed.stopAtReturn == 475)
        #expect(try RunConfiguration.resolve(env: "CartPole-v1", config: nil, steps: nil, overrides: []).stopAtReturn == nil)
        #expect(try RunConfiguration.resolve(env: "CartPole-v1", config: nil, steps: nil, overrides: [], stopAtReturn: 500).stopAtReturn == 500)
        #expect(try RunConfiguration.resolve(env: "CartPole-v1", config: nil, steps: nil, overrides: ["stop_at_return=-120.5"]).stopAtReturn == -120.5)
        var run = parsed
        try run.set("stop_at_return", yaml: "null")
        #expect(run.stopAtReturn == nil)
        for bad in [".inf", "lots"] {
            #expect {
                try RunConfiguration.resolve(env: "CartPole-v1", config: nil, steps: nil, overrides: ["stop_at_return=\(bad)"])
            } throws: { error in
                "\(error)".contains("stop_at_return") && "\(error)".contains("finite") || "\(error)".contains("a number")
            }
        }
    }

    @Test("the checkpoint keeps the window; a window that is not at most 20 finite numbers is refused by name")
    func checkpointKeepsTheWindow() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("recent-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = CheckpointPolicy.file(in: dir)
        let trainer = Trainer(observationSize: 4, actionSpace: .discrete(2), config: .default, seed: 1)
        let window = try #require(RecentReturns(saved: [12.5, 500, 0.1]))
        try Checkpoint(trainer: trainer, envID: "CartPole-v1", envSteps: 10, recentReturns: window).write(to: url)
        #expect(try Checkpoint.read(from: url).recentReturns == window)

        let decoded = try SafeTensors.decode(Data(contentsOf: url))
        for bad in ["1,nan", "1,,2", String(repeating: "1,", count: 20) + "1"] {
            var metadata = decoded.metadata
            metadata["recent_returns"] = bad
            try SafeTensors.encode(decoded.tensors, metadata: metadata).write(to: url)
            #expect {
                try Checkpoint.read(from: url)
            } throws: { error in
                "\(error)".contains("recent_returns")
            }
        }
    }

    @Test("ppo train --workers 0 with a target ends after the update that reaches it, writes a checkpoint that holds the window, and that run counts as finished on resume unless the target is raised")
    func localRunStops() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("stop-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        var run = try Presets.load("CartPole-v1")
        run.totalSteps = 200 * run.ppo.rolloutSteps
        run.stopAtReturn = 40  // a random policy averages about 22
        let url = CheckpointPolicy.file(in: dir)
        let training = try LocalTraining(run: run, seed: 3, checkpoints: CheckpointPolicy(url: url, every: 0))
        var seen: [(mean: Double, episodes: Int)] = []
        let summary = try training.train { seen.append(($0.recentReturn ?? 0, $0.episodes)) }
        #expect(summary.reachedTarget && summary.updates < 200, "\(summary.updates) updates")
        #expect((summary.recentReturn ?? 0) >= 40)
        #expect(seen.dropLast().allSatisfy { $0.mean < 40 || $0.episodes < RecentReturns.window },
                "it went on past an update that reached the target: \(seen)")
        let saved = try Checkpoint.read(from: url)
        #expect(saved.updates == summary.updates && saved.recentReturns.reaches(40))
        #expect(ResumeRules.isFinished(saved, run: run))
        #expect(ResumeRules.finishedReason(saved, run: run).contains("--stop-at-return"))
        var raised = run
        raised.stopAtReturn = 450
        #expect(!ResumeRules.isFinished(saved, run: raised))
        raised.stopAtReturn = nil
        #expect(!ResumeRules.isFinished(saved, run: raised))
    }
}

import Foundation
import Testing

/// onnx and onnxruntime in the tests' interpreter (the venv `.ci/run` makes); required in CI.
enum ONNXPython {
    static let available = GymPython.required || (GymPython.imports("onnxruntime") && GymPython.imports("onnx"))
    static let script = GymPython.root.appendingPathComponent("Deploy/onnx_policy.py").path
}

/// What `Deploy/onnx_policy.py compare` prints.
struct ONNXComparison: Decodable {
    struct Normalizer: Decodable { var mean_max_abs: Double; var inverse_std_min: Double; var inverse_std_max: Double }
    var rows: Int
    var value_mismatches: Int
    var action_mismatches: Int
    var clipped_action_mismatches: Int?
    var action_compared: Int?
    var normalizer: Normalizer?
}

/// `ppo export --onnx` on trained checkpoints, checked with onnx.checker and onnxruntime against `ppo eval --record`.
@Suite("ONNX export (real processes, onnxruntime)", .enabled(if: ONNXPython.available))
struct ExportTests {
    /// Runs a command to its end; stdout, stderr and status.
    func run(_ name: String, _ executable: String, _ arguments: [String], timeout: Double = 600) async throws -> (out: String, err: String, status: Int32?) {
        let p = executable == "python"
            ? try Spawned(url: URL(fileURLWithPath: GymPython.path), arguments, name: name, environment: GymPython.environment)
            : try Spawned(executable, arguments, name: name, environment: GymPython.environment)
        let status = await p.waitForExit(timeout: timeout)
        return (p.stdout, p.stderr, status)
    }

    /// Trains, exports, records an evaluation and compares; the comparison and the two files' sizes.
    func trainExportCompare(_ name: String, train: [String], episodes: Int) async throws -> (ONNXComparison, model: Int, checkpoint: Int) {
        let dir = temporaryDirectory(name)
        defer { try? FileManager.default.removeItem(at: dir) }
        let trained = try await run("\(name)-train", "ppo", ["train", "--out", dir.path, "--python", GymPython.path, "--workers", "0", "--eval-episodes", "0", "--quiet"] + train)
        try #require(trained.status == 0, "\(trained.err.suffix(1500))")
        let model = dir.appendingPathComponent("policy.onnx").path
        let exported = try await run("\(name)-export", "ppo", ["export", "--checkpoint", dir.path, "--onnx", model])
        try #require(exported.status == 0, "\(exported.err.suffix(1500))")
        let record = dir.appendingPathComponent("record.jsonl").path
        let evaluated = try await run("\(name)-eval", "ppo", ["eval", "--checkpoint", dir.path, "--episodes", "\(episodes)", "--record", record, "--python", GymPython.path])
        try #require(evaluated.status == 0, "\(evaluated.err.suffix(1500))")
        let compared = try await run("\(name)-compare", "python", [ONNXPython.script, "compare", model, record, "--min-rows", "1000"])
        #expect(compared.status == 0, "\(compared.out) \(compared.err.suffix(1500))")
        let report = try JSONDecoder().decode(ONNXComparison.self, from: Data(compared.out.utf8))
        let played = try await run("\(name)-play", "python", [ONNXPython.script, "play", model, "--episodes", "2"])
        #expect(played.status == 0, "\(played.err.suffix(1500))")
        let size = { (path: String) in ((try? FileManager.default.attributesOfItem(atPath: path)[.size]) as? Int) ?? 0 }
        return (report, size(model), size(dir.appendingPathComponent("checkpoint.safetensors").path))
    }

    @Test("CartPole-v1: the exported model's actions and values equal ppo eval's on ≥ 1000 recorded observations", .timeLimit(.minutes(10)))
    func cartPole() async throws {
        let (report, model, checkpoint) = try await trainExportCompare("export-cartpole", train: ["--env", "CartPole-v1", "--seed", "1", "--steps", "20480"], episodes: 20)
        #expect(report.rows >= 1000)
        #expect(report.action_mismatches == 0 && report.value_mismatches == 0)
        #expect((report.action_compared ?? 0) >= 1000)
        #expect(model > 0 && model < checkpoint)
    }

    /// The image (channels-last, under a Dict key) goes through Slice, Reshape, Transpose and the Conv nodes; the
    /// normaliser standardises the other key only, as training does.
    @Test("an image observation (gym:ppo_test_envs:BrightSide-v0, a convolutional network, normalised vector key): the exported model's actions and values equal ppo eval's", .timeLimit(.minutes(10)))
    func image() async throws {
        let (report, _, _) = try await trainExportCompare("export-image", train: [
            "--env", "gym:ppo_test_envs:BrightSide-v0", "--seed", "1", "--steps", "2048", "--set", "rollout_steps=512",
            "--set", "shared_hidden_size=64", "--set", "normalize_observations=true"], episodes: 64)
        #expect(report.rows == 1024)
        #expect(report.action_mismatches == 0 && report.value_mismatches == 0)
        #expect((report.action_compared ?? 0) >= 1000)
        let normalizer = try #require(report.normalizer)
        #expect(normalizer.mean_max_abs > 50, "the pixels' running mean is in the checkpoint, unused on them")
    }

    @Test("HalfCheetah-v5 (a normaliser far from identity): means, clipped actions and values within 1e-5", .enabled(if: GymPython.mujoco), .timeLimit(.minutes(10)))
    func halfCheetah() async throws {
        let (report, _, _) = try await trainExportCompare("export-halfcheetah", train: ["--config", "HalfCheetah-v5", "--seed", "1", "--steps", "8192"], episodes: 1)
        #expect(report.rows == 1000)
        #expect(report.action_mismatches == 0 && report.value_mismatches == 0 && report.clipped_action_mismatches == 0)
        let normalizer = try #require(report.normalizer)
        #expect(normalizer.mean_max_abs > 0.1 && (normalizer.inverse_std_min < 0.5 || normalizer.inverse_std_max > 2))
    }

    @Test("MultiDiscrete actions (gym:ppo_test_envs:MultiSign-v0): the exported model's per-component actions and values equal ppo eval's", .timeLimit(.minutes(10)))
    func multiDiscrete() async throws {
        let (report, _, _) = try await trainExportCompare("export-multisign", train: ["--env", "gym:ppo_test_envs:MultiSign-v0", "--seed", "1", "--steps", "8192"], episodes: 40)
        #expect(report.rows >= 1000)
        #expect(report.action_mismatches == 0 && report.value_mismatches == 0)
        #expect((report.action_compared ?? 0) >= 1000)
    }

    @Test("export refuses a file that is not a checkpoint and a place it cannot write, in one sentence, writing nothing")
    func refusals() async throws {
        let dir = temporaryDirectory("export-refusals")
        defer { try? FileManager.default.removeItem(at: dir) }
        let garbage = dir.appendingPathComponent("checkpoint.safetensors")
        try Data("not a checkpoint".utf8).write(to: garbage)
        let model = dir.appendingPathComponent("policy.onnx")
        let bad = try await run("export-garbage", "ppo", ["export", "--checkpoint", garbage.path, "--onnx", model.path])
        #expect(bad.status != 0 && bad.err.contains("not a valid safetensors file"), "\(bad.err)")
        #expect(!FileManager.default.fileExists(atPath: model.path))

        let trained = try await run("export-refusals-train", "ppo", ["train", "--out", dir.appendingPathComponent("run").path, "--workers", "0", "--env", "CartPole-v1", "--steps", "2048", "--eval-episodes", "0", "--quiet"])
        try #require(trained.status == 0, "\(trained.err.suffix(1500))")
        let unwritable = garbage.appendingPathComponent("policy.onnx")  // under a file, not a folder
        let refused = try await run("export-unwritable", "ppo", ["export", "--checkpoint", dir.appendingPathComponent("run").path, "--onnx", unwritable.path])
        #expect(refused.status != 0 && refused.err.contains("cannot write the model to"), "\(refused.err)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted() == ["checkpoint.safetensors", "run"])
    }
}

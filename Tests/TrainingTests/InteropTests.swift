import Foundation
import PPOCore
import Testing
@testable import Training
import TestSupport

@Suite("Interoperability", .offThePool)
struct InteropTests {
    @Test("CRC-32C and its TFRecord mask")
    func crc32c() {
        #expect(CRC32C.checksum(Array("123456789".utf8)) == 0xE306_9283)
        #expect(CRC32C.checksum([]) == 0)
    }

    @Test("TensorBoard event files: every scalar of every update, at its env step, read back by our reader and by TensorBoard's own (when installed)")
    func tensorBoard() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("ppo-tb-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let writer = try TensorBoardWriter(directory: dir)
        var run = try Presets.load("CartPole-v1")
        run.totalSteps = 4 * run.ppo.rolloutSteps
        let training = try LocalTraining(run: run, seed: 2, checkpoints: .none)
        var expected: [(Int, UpdateStatistics)] = []
        _ = try training.train { p in
            try? writer.log(update: p.statistics, envSteps: p.envSteps, stepsPerSecond: p.stepsPerSecond, recentReturn: p.recentReturn)
            expected.append((p.envSteps, p.statistics))
        }
        let (version, scalars) = try TensorBoardReader.scalars(in: writer.url)
        #expect(version == "brain.Event:2")
        #expect(expected.count == 4)
        for (step, s) in expected {
            func value(_ tag: String) -> Float? { scalars.first { $0.tag == tag && $0.step == step }?.value }
            #expect(value("losses/policy_loss") == Float(s.policyLoss))
            #expect(value("losses/value_loss") == Float(s.valueLoss))
            #expect(value("losses/entropy") == Float(s.entropy))
            #expect(value("losses/approx_kl") == Float(s.approxKL))
            #expect(value("losses/clipfrac") == Float(s.clipFraction))
            #expect(value("charts/learning_rate") == Float(s.learningRate))
            #expect(value("charts/SPS") != nil)
        }
        #expect(scalars.contains { $0.tag == "charts/episodic_return" })
        // A flipped bit is caught by the record CRC.
        var bytes = [UInt8](try Data(contentsOf: writer.url))
        bytes[bytes.count - 10] ^= 1
        let damaged = dir.appendingPathComponent("damaged")
        try Data(bytes).write(to: damaged)
        #expect(throws: TensorBoardReader.Corrupt.self) { try TensorBoardReader.scalars(in: damaged) }

        // TensorBoard's own reader, when a python3 on PATH has it, finds the same scalars at the same steps.
        if let python = Self.python(with: "tensorboard") {
            let script = """
                import json, sys
                from tensorboard.backend.event_processing.event_file_loader import EventFileLoader
                from tensorboard.util.tensor_util import make_ndarray
                out = []
                for event in EventFileLoader(sys.argv[1]).Load():
                    for v in event.summary.value:
                        # The loader hands simple_value scalars on as scalar tensors of the scalars plugin.
                        value = v.simple_value if v.HasField("simple_value") else float(make_ndarray(v.tensor))
                        out.append([v.tag, event.step, value, v.metadata.plugin_data.plugin_name])
                print(json.dumps(out))
                """
            let (status, output, errors) = try Self.run(python, ["-c", script, writer.url.path])
            #expect(status == 0, "\(errors)")
            let read = try #require(try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [[Any]])
            let theirs = read.compactMap { row -> String? in
                guard row.count == 4, let tag = row[0] as? String, let step = row[1] as? Int, let value = row[2] as? Double,
                      row[3] as? String == "scalars" else { return nil }
                return "\(tag)@\(step)=\(Float(value))"
            }
            #expect(theirs.count == read.count, "TensorBoard did not read every value as a scalar: \(read.prefix(3))")
            #expect(theirs.sorted() == scalars.map { "\($0.tag)@\($0.step)=\($0.value)" }.sorted())
        }
    }

    /// The first python3 on PATH that can import `module`.
    static func python(with module: String) -> String? {
        let candidates = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin").split(separator: ":").map { "\($0)/python3" }
        return candidates.first { path in
            FileManager.default.isExecutableFile(atPath: path) && (try? run(path, ["-c", "import \(module)"]).status) == 0
        }
    }

    /// Runs a program to its end: status, standard output, standard error.
    static func run(_ program: String, _ arguments: [String]) throws -> (status: Int32, output: String, errors: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: program)
        process.arguments = arguments
        // Standard error goes to a file, so that neither stream can fill up and block the child.
        let errorFile = FileManager.default.temporaryDirectory.appendingPathComponent("ppo-stderr-\(UUID().uuidString)")
        _ = FileManager.default.createFile(atPath: errorFile.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: errorFile) }
        let out = Pipe()
        process.standardOutput = out
        process.standardError = try FileHandle(forWritingTo: errorFile)
        try process.run()
        let output = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let errors = (try? Data(contentsOf: errorFile)) ?? Data()
        return (process.terminationStatus, String(decoding: output, as: UTF8.self), String(decoding: errors, as: UTF8.self))
    }

    @Test("the numpy script reproduces the policy's action probabilities to 1e-5 on 100 observations",
          arguments: ["CartPole-v1", "Acrobot-v1", "Pendulum-v1"])
    func numpyPolicy(env: String) throws {
        guard let python = Self.python(with: "numpy") else {
            Issue.record("this test needs python3 with numpy on PATH (pip install numpy)")
            return
        }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("ppo-np-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        var run = try Presets.load(env)
        run.totalSteps = 2 * run.ppo.rolloutSteps
        let training = try LocalTraining(run: run, seed: 4, checkpoints: .none)
        _ = try training.train { _ in }  // two updates: the normaliser and the weights are not the initial ones
        let checkpoint = dir.appendingPathComponent("checkpoint.safetensors")
        try training.checkpoint().write(to: checkpoint)

        let trainer = try Checkpoint.read(from: checkpoint).makeTrainer()
        var rng = RNG(seed: 8)
        let size = trainer.model.observationSize
        let observations = (0..<100).map { _ in (0..<size).map { _ in Float(rng.normal()) } }
        try JSONSerialization.data(withJSONObject: observations.map { $0.map(Double.init) }).write(to: dir.appendingPathComponent("obs.json"))

        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Deploy/policy_from_checkpoint.py")
        let (status, output, errors) = try Self.run(python, [script.path, checkpoint.path, dir.appendingPathComponent("obs.json").path])
        #expect(status == 0, "\(errors)")
        let data = Data(output.utf8)
        let result = try #require(try JSONSerialization.jsonObject(with: data) as? [String: [[Double]]])
        let fromPython = try #require(result["probabilities"] ?? result["means"])
        #expect(fromPython.count == 100)

        // The Swift side: what `ppo eval` computes — normalise, actor forward, softmax (or the Gaussian mean).
        var worst = 0.0
        let model = try #require(trainer.model as? ActorCritic)
        for (i, o) in observations.enumerated() {
            var x = o
            x.withUnsafeMutableBufferPointer { b in trainer.observationNormalizer?.normalize(b.baseAddress!, rows: 1, clip: trainer.config.observationClip) }
            let out = x.withUnsafeBufferPointer { model.actor.forward($0.baseAddress!, batch: 1) }
            let n = model.actor.outputSize
            var swift = (0..<n).map { Double(out[$0]) }
            if trainer.actionSpace.isDiscrete {
                let m = swift.max() ?? 0
                let e = swift.map { exp($0 - m) }
                swift = e.map { $0 / e.reduce(0, +) }
            }
            for j in 0..<n { worst = max(worst, abs(swift[j] - fromPython[i][j])) }
        }
        #expect(worst < 1e-5, "largest difference \(worst)")
    }
}

import Foundation
import PPOCore
import Testing
@testable import Training

@Suite("Interoperability")
struct InteropTests {
    @Test("CRC-32C and its TFRecord mask")
    func crc32c() {
        #expect(CRC32C.checksum(Array("123456789".utf8)) == 0xE306_9283)
        #expect(CRC32C.checksum([]) == 0)
    }

    @Test("TensorBoard event files: every scalar of every update, at its env step, read back from the file")
    func tensorBoard() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("ppo-tb-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let writer = try TensorBoardWriter(directory: dir)
        var run = try Presets.load("CartPole-v1")
        run.totalSteps = 4 * run.ppo.rolloutSteps
        let training = try LocalTraining(run: run, seed: 2, checkpointURL: nil, checkpointEvery: 0)
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
    }

    @Test("the numpy script reproduces the policy's action probabilities to 1e-5 on 100 observations",
          arguments: ["CartPole-v1", "Acrobot-v1", "Pendulum-v1"])
    func numpyPolicy(env: String) throws {
        // The first python3 on PATH that has numpy.
        let candidates = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin").split(separator: ":").map { "\($0)/python3" }
        guard let python = candidates.first(where: { path in
            guard FileManager.default.isExecutableFile(atPath: path) else { return false }
            let probe = Process()
            probe.executableURL = URL(fileURLWithPath: path)
            probe.arguments = ["-c", "import numpy"]
            probe.standardError = FileHandle.nullDevice
            guard (try? probe.run()) != nil else { return false }
            probe.waitUntilExit()
            return probe.terminationStatus == 0
        }) else {
            Issue.record("this test needs python3 with numpy on PATH (pip install numpy)")
            return
        }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("ppo-np-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        var run = try Presets.load(env)
        run.totalSteps = 2 * run.ppo.rolloutSteps
        let training = try LocalTraining(run: run, seed: 4, checkpointURL: nil, checkpointEvery: 0)
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
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = [script.path, checkpoint.path, dir.appendingPathComponent("obs.json").path]
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        let errors = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "\(errors)")
        let result = try #require(try JSONSerialization.jsonObject(with: data) as? [String: [[Double]]])
        let fromPython = try #require(result["probabilities"] ?? result["means"])
        #expect(fromPython.count == 100)

        // The Swift side: what `ppo eval` computes — normalise, actor forward, softmax (or the Gaussian mean).
        var worst = 0.0
        for (i, o) in observations.enumerated() {
            var x = o
            x.withUnsafeMutableBufferPointer { b in trainer.observationNormalizer?.normalize(b.baseAddress!, rows: 1, clip: trainer.config.observationClip) }
            let out = x.withUnsafeBufferPointer { trainer.model.actor.forward($0.baseAddress!, batch: 1) }
            let n = trainer.model.actor.outputSize
            var swift = (0..<n).map { Double(out[$0]) }
            if trainer.model.actionSpace.isDiscrete {
                let m = swift.max() ?? 0
                let e = swift.map { exp($0 - m) }
                swift = e.map { $0 / e.reduce(0, +) }
            }
            for j in 0..<n { worst = max(worst, abs(swift[j] - fromPython[i][j])) }
        }
        #expect(worst < 1e-5, "largest difference \(worst)")
    }
}

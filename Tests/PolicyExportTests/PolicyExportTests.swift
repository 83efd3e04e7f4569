import Foundation
import PPOCore
import Testing
import Training

@testable import PolicyExport
import TestSupport

/// A checkpoint of a fresh policy, as `ppo train` would write it after no update.
func freshCheckpoint(_ space: Space, observations: Int, normalize: Bool) -> Checkpoint {
    var config = PPOConfig.default
    config.normalizeObservations = normalize
    let trainer = Trainer(observationSize: observations, actionSpace: space, config: config, seed: 7)
    var checkpoint = Checkpoint(trainer: trainer, envID: "test", envSteps: 0)
    if normalize {
        checkpoint.normalizer = RunningMeanStd(
            mean: (0..<observations).map { Double($0) - 1.5 }, variance: (0..<observations).map { 0.25 + Double($0) }, count: 100)
    }
    return checkpoint
}

@Suite("ONNX export: the graph", .offThePool)
struct PolicyGraphTests {
    func ops(_ model: ONNXModel) -> [String] { model.nodes.map(\.op) }

    @Test("a discrete policy without normaliser: observation in; action, value, logits out; Gemm and Tanh per layer")
    func discrete() throws {
        let model = try PolicyExport.model(of: freshCheckpoint(.discrete(2), observations: 4, normalize: false))
        #expect(model.inputs.map(\.name) == ["observation"])
        #expect(model.inputs[0].shape == [.named("batch"), .fixed(4)])
        #expect(model.outputs.map(\.name) == ["action", "value", "logits"])
        #expect(model.outputs.map(\.type) == [.int64, .float, .float])
        #expect(ops(model).filter { $0 == "Gemm" }.count == 6)
        #expect(ops(model).filter { $0 == "Tanh" }.count == 4)
        #expect(!ops(model).contains("Cast"))
        #expect(ops(model).contains("ArgMax"))
        // Every node's inputs exist before it: a graph input, an initializer or an earlier node's output.
        var known = Set(model.inputs.map(\.name) + model.initializers.map(\.name))
        for node in model.nodes {
            for input in node.inputs { #expect(known.contains(input), "\(node.op) reads \(input) before it exists") }
            known.formUnion(node.outputs)
        }
        for output in model.outputs { #expect(known.contains(output.name)) }
    }

    @Test("a Box policy with normaliser: float64 normaliser nodes, mean and log_std, clipping only when asked")
    func continuous() throws {
        let checkpoint = freshCheckpoint(.box(low: [-1, -2], high: [1, 2]), observations: 3, normalize: true)
        let clipped = try PolicyExport.model(of: checkpoint)
        #expect(clipped.outputs.map(\.name) == ["action", "value", "mean", "log_std"])
        #expect(Array(ops(clipped).prefix(5)) == ["Cast", "Sub", "Mul", "Clip", "Cast"])
        #expect(ops(clipped).contains("Max") && ops(clipped).contains("Min"))
        let inverse = try #require(clipped.initializers.first { $0.name == "obs_normalizer.inverse_std" })
        #expect(inverse.type == .double)
        let expected = (0..<3).map { 1 / (0.25 + Double($0) + 1e-8).squareRoot() }
        let stored = stride(from: 0, to: inverse.raw.count, by: 8).map { offset in
            Double(bitPattern: inverse.raw[offset..<offset + 8].reversed().reduce(0) { $0 << 8 | UInt64($1) })
        }
        #expect(stored == expected)
        let unclipped = try PolicyExport.model(of: checkpoint, clipActions: false)
        #expect(!ops(unclipped).contains("Max"))
        #expect(unclipped.metadata["action"]?.contains("not clipped") == true)
    }

    @Test("metadata: the env, its arguments, the units of the value")
    func metadata() throws {
        var checkpoint = freshCheckpoint(.discrete(3), observations: 2, normalize: false)
        checkpoint.envID = "gym:LunarLander-v3"
        checkpoint.envArguments = #"{"gravity":-9.0}"#
        checkpoint.config.normalizeRewards = true
        let model = try PolicyExport.model(of: checkpoint)
        #expect(model.metadata["env_id"] == "gym:LunarLander-v3")
        #expect(model.metadata["env_args"] == #"{"gravity":-9.0}"#)
        #expect(model.metadata["value"]?.contains("normalize_rewards") == true)
        #expect(model.metadata["format"] == PolicyExport.format)
    }
}

/// Reads the top-level fields of protobuf bytes: (field number, wire type, value or payload).
func topLevelFields(_ bytes: [UInt8]) -> [(field: Int, varint: UInt64?, payload: [UInt8]?)] {
    var fields: [(Int, UInt64?, [UInt8]?)] = []
    var i = 0
    func varint() -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while i < bytes.count {
            let b = bytes[i]
            i += 1
            result |= UInt64(b & 0x7F) << shift
            if b < 0x80 { break }
            shift += 7
        }
        return result
    }
    while i < bytes.count {
        let tag = varint()
        if tag & 7 == 0 {
            fields.append((Int(tag >> 3), varint(), nil))
        } else {
            let n = Int(varint())
            fields.append((Int(tag >> 3), nil, Array(bytes[i..<min(i + n, bytes.count)])))
            i += n
        }
    }
    return fields
}

@Suite("ONNX export: the file", .offThePool)
struct PolicyFileTests {
    @Test("ModelProto: IR version 8, opset 17 of the default domain, one graph, the metadata")
    func modelProto() throws {
        let bytes = try PolicyExport.model(of: freshCheckpoint(.discrete(2), observations: 4, normalize: false))
            .serialized(producerVersion: PolicyExport.format)
        let fields = topLevelFields(bytes)
        #expect(fields.first { $0.field == 1 }?.varint == 8)
        let opset = try #require(fields.first { $0.field == 8 }?.payload)
        #expect(topLevelFields(opset).map(\.field) == [2])
        #expect(topLevelFields(opset).first?.varint == 17)
        #expect(fields.filter { $0.field == 7 }.count == 1)
        let keys = fields.filter { $0.field == 14 }.compactMap { $0.payload }.compactMap { entry in
            topLevelFields(entry).first { $0.field == 1 }?.payload.map { String(decoding: $0, as: UTF8.self) }
        }
        #expect(keys.contains("env_id") && keys.contains("observation_normalizer") && keys == keys.sorted())
    }

    @Test("an export that cannot be written throws, names the path and leaves nothing behind")
    func unwritable() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("ppo-export-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let blocker = dir.appendingPathComponent("file")
        try Data("not a folder".utf8).write(to: blocker)
        let target = blocker.appendingPathComponent("policy.onnx")
        #expect(throws: PolicyExport.Failure.self) {
            try PolicyExport.write(freshCheckpoint(.discrete(2), observations: 4, normalize: false), to: target)
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["file"])
    }

    @Test("a written model replaces the previous one whole, with no temporary file left")
    func replaces() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("ppo-export-\(UUID().uuidString.prefix(8))")
        defer { try? FileManager.default.removeItem(at: dir) }
        let target = dir.appendingPathComponent("policy.onnx")
        let checkpoint = freshCheckpoint(.box(low: [-1], high: [1]), observations: 3, normalize: true)
        let size = try PolicyExport.write(checkpoint, to: target)
        #expect(try Data(contentsOf: target).count == size)
        try PolicyExport.write(freshCheckpoint(.discrete(2), observations: 4, normalize: false), to: target)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["policy.onnx"])
        #expect(try Data(contentsOf: target).count != size)
    }
}

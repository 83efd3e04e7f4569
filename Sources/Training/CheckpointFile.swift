import Foundation
import PPOCore

/// A checkpoint file's tensors and metadata, and the checks of each value read from them.
struct CheckpointFile {
    let path: String
    let tensors: [String: SafeTensors.Tensor]
    let metadata: [String: String]

    static func load(_ file: URL) throws(Checkpoint.CheckpointError) -> CheckpointFile {
        let path = file.path
        guard FileManager.default.fileExists(atPath: path) else { throw .io(path, reason: "no such file") }
        let data: Data
        do {
            data = try Data(contentsOf: file)
        } catch {
            throw .io(path, reason: "cannot read: \(error.localizedDescription)")
        }
        do {
            let decoded = try SafeTensors.decode(data)
            return CheckpointFile(path: path, tensors: decoded.tensors, metadata: decoded.metadata)
        } catch {
            throw .format(path, error)
        }
    }

    func value(_ key: String) throws(Checkpoint.CheckpointError) -> String {
        guard let v = metadata[key] else { throw .content(path, reason: "metadata '\(key)' is missing") }
        return v
    }

    func integer(_ key: String) throws(Checkpoint.CheckpointError) -> Int {
        guard let v = Int(try value(key)), v >= 0 else { throw .content(path, reason: "metadata '\(key)' is not a whole number") }
        return v
    }

    func decodeJSON<T: Decodable>(_ type: T.Type, key: String, what: String, decoder: JSONDecoder = JSONDecoder()) throws(Checkpoint.CheckpointError) -> T {
        guard let decoded = try? decoder.decode(type, from: Data(try value(key).utf8)) else {
            throw .content(path, reason: "metadata '\(key)' is not \(what)")
        }
        return decoded
    }

    func config() throws(Checkpoint.CheckpointError) -> PPOConfig {
        try decodeJSON(PPOConfig.self, key: "config", what: "a valid configuration", decoder: Checkpoint.configDecoder)
    }

    /// A float32 tensor of exactly `shape`, every value finite.
    func floats(_ name: String, shape: [Int]) throws(Checkpoint.CheckpointError) -> [Float] {
        guard let t = tensors[name], let v = t.floats, t.shape == shape else {
            throw .content(path, reason: "tensor '\(name)' is missing or not float32 of shape \(shape)")
        }
        guard v.allSatisfy(\.isFinite) else { throw .content(path, reason: "tensor '\(name)' holds NaN or infinity") }
        return v
    }

    func normalizer(dimension: Int) throws(Checkpoint.CheckpointError) -> RunningMeanStd {
        guard let mean = tensors["obs_normalizer.mean"]?.doubles, let variance = tensors["obs_normalizer.var"]?.doubles,
              let count = Double(try value("obs_normalizer_count")),
              let n = RunningMeanStd(mean: mean, variance: variance, count: count), n.dimension == dimension else {
            throw .content(path, reason: "observation normaliser statistics are missing or invalid")
        }
        return n
    }
}

import Foundation
import Logging
import PPOCore

/// A checkpoint file: its tensors and metadata once loaded, the checks of each value read from them, and the
/// file operations (atomic writes, and the clean-up of writes a crash interrupted).
struct CheckpointFile {
    let path: String
    let tensors: [String: SafeTensors.Tensor]
    let metadata: [String: String]

    /// The temporary files of writes to `url` are named this, then the writing process's id.
    static func temporaryPrefix(for url: URL) -> String { AtomicFile.temporaryPrefix(for: url) }

    /// Writes `data` to `url` atomically: a temporary file in the same folder, fsync, rename, fsync of the folder.
    static func write(_ data: Data, to url: URL) throws(Checkpoint.CheckpointError) {
        do {
            try AtomicFile.write(data, to: url)
        } catch {
            throw .io(error.path, reason: error.reason + "; the previous checkpoint is untouched")
        }
    }

    /// Removes what writes to `url` by processes that no longer run left behind (a crash between creating the
    /// temporary file and renaming it), and logs each one. Returns the names removed; the checkpoint itself is
    /// never touched.
    @discardableResult
    static func removeAbandonedWrites(of url: URL, logger: Logger) -> [String] {
        let dir = url.deletingLastPathComponent()
        let prefix = temporaryPrefix(for: url)
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: dir.path) else { return [] }
        var removed: [String] = []
        for name in names where name.hasPrefix(prefix) {
            guard let pid = Int32(name.dropFirst(prefix.count)) else { continue }
            // Still running (another process writing into the same folder): leave it.
            if pid == getpid() || kill(pid, 0) == 0 || errno != ESRCH { continue }
            if unlink(dir.appendingPathComponent(name).path) == 0 {
                removed.append(name)
                logger.warning("removed \(name), a checkpoint write a previous run did not finish; \(url.lastPathComponent) is the last complete one")
            }
        }
        return removed
    }

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

    /// The network the file describes (metadata `network`; the config's MLPs in a file from before it), checked
    /// before anything is sized by it: buildable, of the file's observation size and action space, and with no
    /// more parameters than the file holds values.
    func network(observationSize: Int, actionSpace: Space, config: PPOConfig) throws(Checkpoint.CheckpointError) -> NetworkSpec {
        let head = PolicyHead(actionSpace)
        guard metadata["network"] != nil else {
            return .separate(observationSize: observationSize, hiddenSizes: config.hiddenSizes, activation: config.activation, head: head)
        }
        let network = try decodeJSON(NetworkSpec.self, key: "network", what: "a network description")
        if let problem = network.problem { throw .content(path, reason: "metadata 'network': \(problem)") }
        guard network.observationSize == observationSize, network.head == head else {
            throw .content(path, reason: "metadata 'network' (\(network)) does not fit observations of \(observationSize) values and the action space \(actionSpace)")
        }
        let stored = tensors.values.reduce(0) { $0 + $1.shape.reduce(1, *) }
        guard network.parameterCount <= stored else {
            throw .content(path, reason: "metadata 'network' has \(network.parameterCount) parameters, more than the file's \(stored) values")
        }
        return network
    }

    func config() throws(Checkpoint.CheckpointError) -> PPOConfig {
        try decodeJSON(PPOConfig.self, key: "config", what: "a valid configuration", decoder: CheckpointCodec.configDecoder)
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

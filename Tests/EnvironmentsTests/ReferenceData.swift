import Foundation

/// Errors while locating or reading `../shared/reference`.
enum ReferenceError: Error, CustomStringConvertible {
    case missingDirectory(String)
    case unreadable(path: String, underlying: String)
    case missingConstant(file: String, key: String)

    var description: String {
        switch self {
        case .missingDirectory(let path):
            "reference data not found at \(path): check out the shared folder beside the package root "
                + "(../shared/reference) or set PPO_REFERENCE_DIR to the folder holding the *_traj.json files"
        case .unreadable(let path, let underlying):
            "cannot read reference file \(path): \(underlying); the file must be the JSON written by the "
                + "reference recorder (see reference/README.md)"
        case .missingConstant(let file, let key):
            "\(file): constants has no '\(key)'; the reference file is not the expected version"
        }
    }
}

/// Any JSON value (the reference `constants` mix numbers, strings, arrays and null).
enum JSONValue: Decodable, Equatable {
    case number(Double)
    case string(String)
    case bool(Bool)
    case array([JSONValue])
    case object([String: JSONValue])
    case null

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([JSONValue].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: JSONValue].self))
        }
    }

    var number: Double? {
        if case .number(let value) = self { return value }
        return nil
    }

    var numbers: [Double]? {
        guard case .array(let values) = self else { return nil }
        let numbers = values.compactMap(\.number)
        return numbers.count == values.count ? numbers : nil
    }

    subscript(key: String) -> JSONValue? {
        if case .object(let object) = self { return object[key] }
        return nil
    }
}

struct TrajectoryFile: Decodable {
    var env_id: String
    var constants: [String: JSONValue]
    var trajectories: [Trajectory]
}

struct Trajectory: Decodable {
    var label: String
    var reset_seed: Int
    var initial_observation: [Double]
    var initial_state: [Double]
    var steps: [StepRecord]
    var n_steps: Int
    var ended_by: String
}

struct StepRecord: Decodable {
    var t: Int
    /// A discrete index or a float32 value, stored as a double.
    var action: Double
    var observation: [Double]
    var reward: Double
    var terminated: Bool
    var truncated: Bool
    var state: [Double]
}

/// The reference trajectory files, with the tolerance the reference README gives for each.
enum ReferenceFile: String, CaseIterable, CustomStringConvertible, Sendable {
    case cartpole, acrobot, mountaincar, mountaincar_continuous, pendulum

    var fileName: String { "\(rawValue)_traj.json" }
    var description: String { fileName }

    var envID: String {
        switch self {
        case .cartpole: "CartPole-v1"
        case .acrobot: "Acrobot-v1"
        case .mountaincar: "MountainCar-v0"
        case .mountaincar_continuous: "MountainCarContinuous-v0"
        case .pendulum: "Pendulum-v1"
        }
    }

    /// Relative tolerance (absolute below magnitude 1) for state, observation and reward, as the reference README
    /// gives them: float64 envs replay within 1e-15; Pendulum and MountainCarContinuous, which mix float32 into
    /// the arithmetic, within 1e-6. (Measured here: every file replays with zero deviation.)
    var tolerance: Double {
        switch self {
        case .cartpole, .acrobot, .mountaincar: 1e-15
        case .mountaincar_continuous, .pendulum: 1e-6
        }
    }

    /// The folder of the reference files: `$PPO_REFERENCE_DIR`, else `../shared/reference` from the package root.
    static func directory() throws -> URL {
        let directory: URL
        if let override = ProcessInfo.processInfo.environment["PPO_REFERENCE_DIR"], !override.isEmpty {
            directory = URL(fileURLWithPath: override, isDirectory: true)
        } else {
            let packageRoot = URL(fileURLWithPath: #filePath)
                .deletingLastPathComponent()  // EnvironmentsTests
                .deletingLastPathComponent()  // Tests
                .deletingLastPathComponent()  // package root
            directory = packageRoot.deletingLastPathComponent()
                .appendingPathComponent("shared", isDirectory: true)
                .appendingPathComponent("reference", isDirectory: true)
        }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory.path, isDirectory: &isDirectory), isDirectory.boolValue
        else { throw ReferenceError.missingDirectory(directory.standardizedFileURL.path) }
        return directory
    }

    func load() throws -> TrajectoryFile {
        let url = try Self.directory().appendingPathComponent(fileName)
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw ReferenceError.unreadable(path: url.path, underlying: "\(error)")
        }
        // Python's json writes bare `Infinity`; JSON5 accepts it.
        let decoder = JSONDecoder()
        decoder.allowsJSON5 = true
        do {
            return try decoder.decode(TrajectoryFile.self, from: data)
        } catch {
            throw ReferenceError.unreadable(path: url.path, underlying: "\(error)")
        }
    }
}

extension TrajectoryFile {
    func number(_ key: String, file: ReferenceFile) throws -> Double {
        guard let value = constants[key]?.number else {
            throw ReferenceError.missingConstant(file: file.fileName, key: key)
        }
        return value
    }
}

/// |actual - expected| <= tolerance * max(1, |expected|).
func close(_ actual: Double, _ expected: Double, _ tolerance: Double) -> Bool {
    if actual == expected { return true }
    return abs(actual - expected) <= tolerance * max(1, abs(expected))
}

import Foundation

/// What `ppo-learner` writes to `summary.json` beside its checkpoint when the run ends: the environment, the
/// checkpoint and the final counters (`LearnerMetrics`), for scripts and tests to read instead of the console.
public struct LearnerSummary: Codable, Sendable, Equatable {
    /// The environment's id (`CartPole-v1`, `gym:HalfCheetah-v5`).
    public var environment: String
    public var checkpoint: String?
    public var metrics: LearnerMetrics

    public init(environment: String, checkpoint: String?, metrics: LearnerMetrics) {
        self.environment = environment
        self.checkpoint = checkpoint
        self.metrics = metrics
    }

    public static let fileName = "summary.json"

    /// Writes the summary into `folder` (created if missing), snake_case keys, atomically.
    public func write(into folder: URL) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try encoder.encode(self).write(to: folder.appendingPathComponent(Self.fileName), options: .atomic)
    }

    public static func read(from folder: URL) throws -> LearnerSummary {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return try decoder.decode(LearnerSummary.self, from: Data(contentsOf: folder.appendingPathComponent(fileName)))
    }
}

import Foundation

/// The hyper-parameter presets shipped with the package (`Presets/*.yaml`, one per environment plus `seed`).
public enum Presets {
    /// Where the preset files are: `$PPO_PRESETS_DIR`, or the package's resource bundle next to the executable.
    public static var directory: URL? {
        let fm = FileManager.default
        if let dir = ProcessInfo.processInfo.environment["PPO_PRESETS_DIR"] {
            return URL(fileURLWithPath: dir)
        }
        var candidates: [URL] = []
        let executable = URL(fileURLWithPath: CommandLine.arguments.first ?? "").resolvingSymlinksInPath()
        for base in [Bundle.main.bundleURL, executable.deletingLastPathComponent()] {
            candidates.append(base.appendingPathComponent("swift-ppo_Training.resources/Presets"))
            candidates.append(base.appendingPathComponent("swift-ppo_Training.resources"))
        }
        return candidates.first { fm.fileExists(atPath: $0.appendingPathComponent("seed.yaml").path) }
    }

    /// Names of the shipped presets (file names without `.yaml`).
    public static var names: [String] {
        guard let dir = directory,
              let files = try? FileManager.default.contentsOfDirectory(atPath: dir.path) else { return [] }
        return files.filter { $0.hasSuffix(".yaml") }.map { String($0.dropLast(5)) }.sorted()
    }

    /// Loads `nameOrPath`: a YAML file path, or the name of a shipped preset (an env id or `seed`).
    public static func load(_ nameOrPath: String) throws(ConfigurationError) -> RunConfiguration {
        let fm = FileManager.default
        let url: URL
        if fm.fileExists(atPath: nameOrPath) {
            url = URL(fileURLWithPath: nameOrPath)
        } else if let dir = directory, fm.fileExists(atPath: dir.appendingPathComponent("\(nameOrPath).yaml").path) {
            url = dir.appendingPathComponent("\(nameOrPath).yaml")
        } else if directory == nil {
            throw .unreadable(nameOrPath, reason: "no such file, and the shipped presets were not found next to the executable (set PPO_PRESETS_DIR to the Presets folder)")
        } else {
            throw .unknownPreset(nameOrPath, known: names)
        }
        let text: String
        do {
            text = try String(contentsOf: url, encoding: .utf8)
        } catch {
            throw .unreadable(url.path, reason: error.localizedDescription)
        }
        return try RunConfiguration.parse(yaml: text, source: url.lastPathComponent)
    }
}

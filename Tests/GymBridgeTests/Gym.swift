import Foundation
import GymBridge

/// The Python interpreter the bridge tests use, and whether it has Gymnasium.
///
/// `PPO_PYTHON` names it (`.ci/run` points it at the venv it makes); otherwise the venv `.ci/run` makes, or
/// `python3` on PATH. Without Gymnasium the tests are skipped, unless `PPO_REQUIRE_GYM=1` (CI), where they run and fail.
enum Gym {
    static let packageRoot: URL = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url
    }()

    static let fixtures = packageRoot.appendingPathComponent("Tests/GymBridgeTests/fixtures").path

    static let python: String = {
        if let p = ProcessInfo.processInfo.environment["PPO_PYTHON"], !p.isEmpty { return p }
        let venv = packageRoot.appendingPathComponent(".build/ci-python/bin/python3").path
        return FileManager.default.isExecutableFile(atPath: venv) ? venv : "python3"
    }()

    static let hasGymnasium: Bool = run(["-c", "import gymnasium, numpy"]) == 0
    static let hasMuJoCo: Bool = hasGymnasium && run(["-c", "import gymnasium; gymnasium.make('HalfCheetah-v5')"]) == 0
    static var enabled: Bool { hasGymnasium || ProcessInfo.processInfo.environment["PPO_REQUIRE_GYM"] == "1" }

    /// Bridge options with the test fixtures importable.
    static func options(timeout: Duration = .seconds(30)) -> BridgeOptions {
        var options = BridgeOptions(python: python, timeout: timeout, startTimeout: .seconds(120))
        options.environment["PYTHONPATH"] = fixtures
        return options
    }

    /// Runs the interpreter with `arguments`; its exit status (stdout is returned through `output`).
    @discardableResult
    static func run(_ arguments: [String], output: UnsafeMutablePointer<String>? = nil) -> Int32 {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = [python] + arguments
        var environment = ProcessInfo.processInfo.environment
        environment["PYTHONPATH"] = fixtures
        p.environment = environment
        let pipe = Pipe()
        p.standardOutput = pipe
        p.standardError = FileHandle.nullDevice
        do { try p.run() } catch { return -1 }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        output?.pointee = String(decoding: data, as: UTF8.self)
        return p.terminationStatus
    }
}

import ArgumentParser
import GymBridge

/// How a command starts Gymnasium environments (`gym:ID`): shared by `ppo train`, `ppo eval`, `ppo-learner` and
/// `ppo-worker`.
public struct BridgeFlags: ParsableArguments {
    @Option(help: ArgumentHelp(
        "Python interpreter for gym: environments (one with gymnasium installed). Default: $PPO_PYTHON, else python3 on PATH.",
        valueName: "path"))
    public var python: String?

    @Option(help: ArgumentHelp(
        "Seconds a reset or step of a worker's Gymnasium envs may take before the Python process is killed and restarted.",
        valueName: "seconds"))
    public var envTimeout: Double = 60

    public init() {}

    public func validate() throws {
        guard envTimeout > 0, envTimeout <= 86_400 else { throw ValidationError("--env-timeout must be 0–86400 seconds") }
        if let python, python.isEmpty { throw ValidationError("--python needs a path or a command name") }
    }

    /// The bridge options these flags describe.
    public var options: BridgeOptions {
        BridgeOptions(python: python, timeout: .milliseconds(Int64(envTimeout * 1000)))
    }
}

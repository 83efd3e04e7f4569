import Foundation
import PPOCore

/// How Gymnasium environments are run: which interpreter, how long an answer may take, how long to spin for one.
public struct BridgeOptions: Sendable, Equatable {
    /// The Python interpreter (a path, or a name looked up on PATH).
    public var python: String
    /// The longest a reset or step of all of a bridge's envs may take (`--env-timeout`); then the bridge is killed.
    public var timeout: Duration
    /// The longest a bridge may take to start: import Gymnasium, the env's module, make the envs.
    public var startTimeout: Duration
    /// How long to spin for an answer before sleeping on the pipe (a wake-up costs ~50 µs in a VM).
    public var spin: Duration
    /// Variables added to the bridge's environment (e.g. `PYTHONPATH` for a user's env module).
    public var environment: [String: String] = [:]
    /// Make the envs with `render_mode="rgb_array"` and serve their frames (`ppo eval --video`).
    public var render = false

    public init(python: String? = nil, timeout: Duration = .seconds(60), startTimeout: Duration = .seconds(120), spin: Duration? = nil) {
        let environment = ProcessInfo.processInfo.environment
        self.python = python ?? environment["PPO_PYTHON"].flatMap { $0.isEmpty ? nil : $0 } ?? "python3"
        self.timeout = timeout
        self.startTimeout = max(startTimeout, timeout)
        let spinMicroseconds = environment["PPO_BRIDGE_SPIN_US"].flatMap { Int($0) }.map { min(max($0, 0), 100_000) }
        self.spin = spin ?? .microseconds(spinMicroseconds ?? 1000)
        spinChosen = spin != nil || spinMicroseconds != nil
    }

    /// Whether `spin` was chosen (by the caller or `PPO_BRIDGE_SPIN_US`) rather than defaulted.
    private var spinChosen: Bool

    /// The options for a collector that shares its process's cores with other work (the update of
    /// `ppo train --workers 0 --max-policy-lag 1`): it sleeps on the pipe at once instead of spinning, unless a spin
    /// was chosen. Spinning would take the core the update runs on; measured on HalfCheetah-v5 with 4 envs, the
    /// collection and the update overlapped to 7.5 s per 100k steps without a spin against 11 s with the default's.
    public func sharingCores() -> BridgeOptions {
        var options = self
        if !spinChosen { options.spin = .zero }
        return options
    }

    /// The options of a bridge whose envs render frames. MuJoCo renders headless through EGL (`MUJOCO_GL=egl`,
    /// Debian's libegl1 and Mesa) unless the environment names another backend.
    public func rendering() -> BridgeOptions {
        var options = self
        options.render = true
        if ProcessInfo.processInfo.environment["MUJOCO_GL"] == nil, options.environment["MUJOCO_GL"] == nil {
            options.environment["MUJOCO_GL"] = "egl"
        }
        return options
    }

    public static let `default` = BridgeOptions()
}

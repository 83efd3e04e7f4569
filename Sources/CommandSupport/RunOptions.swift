import Foundation
import ArgumentParser
import Training

/// The options that say what to train, shared by `ppo train` and `ppo-learner`.
public struct RunOptions: ParsableArguments {
    @Option(help: ArgumentHelp(
        "The environment: a native id (see `ppo envs`), or gym:ID for any Gymnasium environment, stepped by Python (gym:HalfCheetah-v5, gym:my_package.envs:MyEnv-v0, which imports my_package.envs first). Optional when the preset names one.",
        valueName: "id"))
    public var env: String?

    @Option(name: .customLong("env-arg"), help: ArgumentHelp(
        "A keyword argument for gymnasium.make, e.g. --env-arg ctrl_cost_weight=0.05 (repeatable; the value is JSON, or else a string). Added to the preset's env_args, replacing the preset's value of the same key.",
        valueName: "key=value"))
    public var envArguments: [String] = []

    @Option(help: "A preset name (an environment id or 'seed') or a path to a YAML file. Default: the environment's preset.")
    public var config: String?

    @Option(help: "Random seed of the run (network initialisation, environments, sampling).")
    public var seed: UInt64 = 1

    @Option(help: "Environment steps to train for (overrides the preset's total_steps).")
    public var steps: Int?

    @Option(name: .customLong("stop-at-return"), help: ArgumentHelp(
        "End the run early, with a checkpoint, once the mean return of the last 20 training episodes reaches this (e.g. 500 for CartPole-v1: the last 20 episodes all at its maximum; a mean of 475, its threshold, can come from a lucky streak). A resumed run whose checkpoint had reached it is finished.",
        valueName: "return"))
    public var stopAtReturn: Double?

    @Option(name: .customLong("set"), help: ArgumentHelp("Override one hyper-parameter, e.g. --set gamma=0.98 (repeatable).", valueName: "key=value"))
    public var overrides: [String] = []

    @Option(help: "Write TensorBoard event files (charts/episodic_return, losses/…) into this folder.")
    public var logdir: String?

    public init() {}

    /// What the status page calls the preset: its name, or a YAML file's name without its folders.
    public var presetLabel: String? {
        config.map { URL(fileURLWithPath: $0).lastPathComponent }
    }

    /// The TensorBoard log of `--logdir`, if given.
    public func tensorBoard() throws -> TensorBoardLog? {
        try logdir.map { try TensorBoardLog(directory: $0) }
    }

    public func validate() throws {
        guard env != nil || config != nil else {
            throw ValidationError("say what to train: --env ID (see `ppo envs`) or --config PRESET_OR_FILE")
        }
        if let steps, steps <= 0 { throw ValidationError("--steps must be positive") }
        if let stopAtReturn, !stopAtReturn.isFinite { throw ValidationError("--stop-at-return must be a finite number") }
        for o in overrides where !o.contains("=") {
            throw ValidationError("--set takes key=value, got '\(o)'")
        }
    }

    /// The run these options describe (preset, then --env, --steps, --stop-at-return and every --set), checked.
    public func resolve() throws -> RunConfiguration {
        try RunConfiguration.resolve(
            env: env, config: config, steps: steps, overrides: overrides, envArguments: envArguments, stopAtReturn: stopAtReturn)
    }
}

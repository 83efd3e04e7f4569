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

    @OptionGroup public var envSetup: EnvironmentSetupFlags

    @Option(help: "A preset name (an environment id or 'seed') or a path to a YAML file. Default: the environment's preset.")
    public var config: String?

    @Option(help: "Random seed of the run (network initialisation, environments, sampling).")
    public var seed: UInt64 = 1

    @Option(help: "Environment steps to train for (overrides the preset's total_steps).")
    public var steps: Int?

    // Unconditional parsing: a negative target (Acrobot-v1's -80) is a value, not an option.
    @Option(name: .customLong("stop-at-return"), parsing: .unconditional, help: ArgumentHelp(
        "End the run early, with a checkpoint, once the mean return of the last 20 training episodes reaches this (e.g. 500 for CartPole-v1: the last 20 episodes all at its maximum; a mean of 475, its threshold, can come from a lucky streak). A resumed run whose checkpoint had reached it is finished.",
        valueName: "return"))
    public var stopAtReturn: Double?

    @Option(name: .customLong("eval-every"), help: ArgumentHelp(
        "Evaluate the greedy policy (most probable action / Gaussian mean) every N updates while training, on episodes of its own: the mean goes to the progress line, TensorBoard (eval/mean_return) and summary.json, and the best evaluated policy to best.safetensors beside the checkpoint (ppo eval --best, ppo export --best). Key eval_every; the episodes are eval_episodes.",
        valueName: "updates"))
    public var evalEvery: Int?

    @Option(name: .customLong("stop-at-eval-return"), parsing: .unconditional, help: ArgumentHelp(
        "With --eval-every: end the run early, with a checkpoint, once an evaluation's mean return reaches this (Stable-Baselines3's EvalCallback with StopTrainingOnRewardThreshold). Judges the greedy policy, where --stop-at-return judges the sampled training episodes.",
        valueName: "return"))
    public var stopAtEvalReturn: Double?

    @Option(name: .customLong("eval-episodes"), help: ArgumentHelp(
        "Deterministic episodes of each evaluation while training (--eval-every) and of ppo train's final evaluation (0: no final evaluation). Key eval_episodes, default 20.",
        valueName: "episodes"))
    public var evalEpisodes: Int?

    @Flag(name: .customLong("eval-video"), help: ArgumentHelp(
        "With --eval-every: record each evaluation's first episode as an animated GIF and keep the latest, in eval-latest.gif beside the checkpoint and, on a learner, on its status page (/eval.gif). The classic-control envs are drawn; any other gym: env renders rgb_array frames in the evaluation's bridge."))
    public var evalVideo = false

    @Option(name: .customLong("set"), help: ArgumentHelp("Override one hyper-parameter, e.g. --set gamma=0.98 (repeatable).", valueName: "key=value"))
    public var overrides: [String] = []

    @Option(help: "Write TensorBoard event files (charts/episodic_return, losses/…) into this folder.")
    public var logdir: String?

    @Option(name: .customLong("progress-json"), help: ArgumentHelp(
        "Write the run's progress for programs as JSON lines, appended to FILE: one object per update (steps, returns, losses, workers, dropped and rejected), per greedy evaluation, and a learner's ports. '-': to standard output instead of the progress lines (every other line goes to standard error).",
        valueName: "FILE|-"))
    public var progressJSON: String?

    public init() {}

    /// The `--progress-json` writer, if asked for.
    public func progressSink() throws(ProgressJSONError) -> ProgressJSON? {
        guard let progressJSON else { return nil }
        return try ProgressJSON(path: progressJSON)
    }

    /// Whether standard output carries the JSON lines (`--progress-json -`): lines for people go to standard error.
    public var progressOnStandardOutput: Bool { progressJSON == "-" }

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
        if let evalEvery, evalEvery <= 0 { throw ValidationError("--eval-every must be a positive number of updates") }
        if let evalEpisodes, evalEpisodes < 0 { throw ValidationError("--eval-episodes must not be negative") }
        if let stopAtEvalReturn, !stopAtEvalReturn.isFinite { throw ValidationError("--stop-at-eval-return must be a finite number") }
        for o in overrides where !o.contains("=") {
            throw ValidationError("--set takes key=value, got '\(o)'")
        }
    }

    /// The run these options describe (preset, then --env, --steps, --stop-at-return and every --set), checked.
    public func resolve() throws -> RunConfiguration {
        // The evaluation flags are their keys' values, set like --set after the preset (and before the --set pairs).
        var settings = overrides
        if let evalEvery { settings.insert("eval_every=\(evalEvery)", at: 0) }
        if let evalEpisodes { settings.insert("eval_episodes=\(evalEpisodes)", at: 0) }
        if let stopAtEvalReturn { settings.insert("stop_at_eval_return=\(stopAtEvalReturn)", at: 0) }
        var run = try RunConfiguration.resolve(
            env: env, config: config, steps: steps, overrides: settings, envArguments: envArguments, setup: try envSetup.setup(),
            stopAtReturn: stopAtReturn)
        if evalVideo {
            guard run.evaluation.every != nil else {
                throw ValidationError("--eval-video records the evaluations made while training: give --eval-every N too")
            }
            do { _ = try EpisodeVideo(envID: run.envID, episodes: 1) } catch { throw ValidationError("--eval-video: \(error)") }
            run.evaluation.video = true
        }
        return run
    }
}

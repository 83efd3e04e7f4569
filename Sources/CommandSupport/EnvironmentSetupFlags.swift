import ArgumentParser
import Environments

/// `--env-register` and `--env-wrapper`: what the bridge does around `gymnasium.make`, from the command line
/// (`ppo train`, `ppo-learner`, and a `ppo-worker` that names its environment).
public struct EnvironmentSetupFlags: ParsableArguments {
    @Option(name: .customLong("env-register"), help: ArgumentHelp(
        "A function the bridge calls before gymnasium.make, written module:function, for packages that register their environments in a function instead of on import (Gymnasium 1.x loads no plugins), e.g. --env-register minatar:register_envs (repeatable; after the preset's register list).",
        valueName: "module:function"))
    public var registrations: [String] = []

    @Option(name: .customLong("env-wrapper"), help: ArgumentHelp(
        "A gymnasium.Wrapper subclass the bridge puts the environment in, written module:Class, with its keyword arguments as one JSON object after '=', e.g. --env-wrapper minigrid.wrappers:ImgObsWrapper or --env-wrapper 'gymnasium.wrappers:TimeLimit={\"max_episode_steps\": 100}' (repeatable, applied in order, after the preset's wrappers list). Workers apply the learner's wrappers: they import the modules it names (SECURITY.md).",
        valueName: "module:Class[=JSON]"))
    public var wrappers: [String] = []

    public init() {}

    /// The setup the flags describe, each path and argument object checked.
    public func setup() throws -> EnvironmentSetup {
        do {
            let setup = EnvironmentSetup(registrations: registrations, wrappers: try wrappers.map(EnvironmentSetup.wrapper(fromFlag:)))
            try setup.check()
            return setup
        } catch {
            throw ValidationError("--env-register/--env-wrapper: \(error)")
        }
    }
}

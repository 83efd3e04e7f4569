import ArgumentParser
import Environments
import Foundation
import PPOCore

struct Envs: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List the native environments, with their spaces, time limits and reward thresholds, and how to use Gymnasium's.",
        discussion: """
            Besides these, any Gymnasium environment trains as gym:ID: gym:HalfCheetah-v5, gym:CartPole-v1, or a user's own gym:my_package.envs:MyEnv-v0 (Gymnasium imports my_package.envs, which registers it). The worker steps it in a Python process of its own: give --python PATH (or set PPO_PYTHON) to an interpreter with gymnasium installed (pip install gymnasium, "gymnasium[mujoco]" for MuJoCo), --env-arg key=value for gymnasium.make's keyword arguments, --env-wrapper module:Class[=JSON] for each wrapper to put it in (minigrid.wrappers:ImgObsWrapper) and --env-register module:function for a package that registers its envs in a function. Observations may be a Box of any shape and dtype, Discrete, MultiDiscrete, MultiBinary, or one level of Dict or Tuple of these: the bridge flattens them as gymnasium.spaces.flatten does (one-hots, a Dict's keys in order) for the policy's MLPs, except an image (a uint8 Box of 0–255 or a bool Box, of 2 or 3 axes) of at least 36 × 36, which goes through a convolutional encoder (the Nature CNN; --set convolutions=[[16,3,1]] for a stack of your own, used for any image) whose features join the other keys in a layer both heads share (--set shared_hidden_size=512). Actions: Discrete (starting at 0), a Box of any shape, MultiDiscrete (starting at 0) or MultiBinary. Other spaces are refused at start with the wrapper that would make them usable.
            """)

    @Flag(help: "Print the list as JSON (infinite bounds as the strings \"inf\" and \"-inf\").")
    var json = false

    func run() throws {
        let specs = EnvironmentRegistry.specs
        if json {
            let objects = specs.map(Self.object)
            let data = try JSONSerialization.data(withJSONObject: objects, options: [.prettyPrinted, .sortedKeys])
            print(String(decoding: data, as: UTF8.self))
            return
        }
        for spec in specs {
            let threshold = spec.rewardThreshold.map { String(format: "%g", $0) } ?? "-"
            print(spec.id.padding(toLength: 26, withPad: " ", startingAt: 0)
                  + "obs \(Self.describe(spec.observationSpace))".padding(toLength: 14, withPad: " ", startingAt: 0)
                  + "action \(Self.describe(spec.actionSpace))".padding(toLength: 20, withPad: " ", startingAt: 0)
                  + "max steps \(spec.maxEpisodeSteps)".padding(toLength: 16, withPad: " ", startingAt: 0)
                  + "solved at \(threshold)")
        }
        print("""

            gym:ID                    any Gymnasium environment, stepped by Python (--python, or PPO_PYTHON):
                                      gym:HalfCheetah-v5, gym:my_package.envs:MyEnv-v0; see `ppo envs --help`
            """)
    }

    static func describe(_ space: Space) -> String {
        switch space {
        case .discrete(let n): "Discrete(\(n))"
        case .box(let low, _): "Box(\(low.count))"
        case .multiDiscrete(let nvec): "MultiDiscrete(\(nvec))"
        case .multiBinary(let n): "MultiBinary(\(n))"
        }
    }

    /// A spec as JSON: JSON has no infinity, so unbounded limits are written "inf" / "-inf", as the bridge does.
    static func object(_ spec: EnvironmentSpec) -> [String: Any] {
        func bound(_ x: Float) -> Any { x.isFinite ? (Double("\(x)") ?? Double(x)) : (x > 0 ? "inf" : "-inf") }
        func space(_ s: Space) -> [String: Any] {
            switch s {
            case .discrete(let n): ["kind": "discrete", "n": n]
            case .box(let low, let high): ["kind": "box", "low": low.map(bound), "high": high.map(bound)]
            case .multiDiscrete(let nvec): ["kind": "multi_discrete", "nvec": nvec]
            case .multiBinary(let n): ["kind": "multi_binary", "n": n]
            }
        }
        return ["id": spec.id, "observation": space(spec.observationSpace), "action": space(spec.actionSpace),
                "max_episode_steps": spec.maxEpisodeSteps, "reward_threshold": spec.rewardThreshold ?? NSNull(),
                "state": spec.stateNames]
    }
}

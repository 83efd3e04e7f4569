import ArgumentParser

/// `--max-policy-lag`: whether collection overlaps learning, shared by `ppo train` and `ppo-learner`.
public struct PolicyLagFlag: ParsableArguments {
    @Option(help: ArgumentHelp(
        "0: strictly on-policy, workers wait while the learner trains (the default). 1: workers collect the next rollout with the weights of version v while the learner trains on v's rollout, and PPO's ratio is taken against the policy that acted (APPO style); /metrics counts trained transitions by lag. With `ppo train --workers 0`, the envs are stepped on a thread of their own while the update runs. Helps when the environment is slow to step and the update takes as long as collecting.",
        valueName: "versions"))
    public var maxPolicyLag = 0

    public init() {}

    public func validate() throws {
        // A worker keeps its current policy and the one before: a lag of 2 would need a third snapshot, and
        // PPO's clipped ratio is a poor correction that far off-policy.
        guard (0...1).contains(maxPolicyLag) else {
            throw ValidationError("--max-policy-lag must be 0 or 1 (got \(maxPolicyLag)): workers keep the current policy and the one before it")
        }
    }
}

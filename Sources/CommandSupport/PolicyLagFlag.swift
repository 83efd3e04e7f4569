import ArgumentParser
import PPOCore

/// `--max-policy-lag`: whether collection overlaps learning, shared by `ppo train` and `ppo-learner`.
public struct PolicyLagFlag: ParsableArguments {
    @Option(help: ArgumentHelp(
        "0: strictly on-policy, workers wait while the learner trains. 1: workers collect the next rollout with the weights of version v while the learner trains on v's rollout, and PPO's ratio is taken against the policy that acted (APPO style); /metrics counts trained transitions by lag. With `ppo train --workers 0`, the envs are stepped on a thread of their own while the update runs. Helps when the environment is slow to step and the update takes as long as collecting. Default: the preset's max_policy_lag (0 unless it says 1, as HalfCheetah-v5's does).",
        valueName: "versions"))
    public var maxPolicyLag: Int?

    public init() {}

    public func validate() throws {
        if let maxPolicyLag, !PPOConfig.policyLags.contains(maxPolicyLag) {
            throw ValidationError("--max-policy-lag must be \(PPOConfig.policyLagWords) (got \(maxPolicyLag)): workers keep the current policy and the one before it")
        }
    }

    /// Sets the run's lag: the flag's when given, else the preset's (or, resumed, the checkpoint's). It is no
    /// hyper-parameter the checkpoint's state depends on, so a resumed run may change it.
    public func apply(to config: inout PPOConfig) {
        if let maxPolicyLag { config.maxPolicyLag = maxPolicyLag }
    }
}

import Environments
import PPOCore
import Wire

extension Welcome {
    /// What every worker of a learner's run is told (§4.2): the run, the env's spaces and signature, the network's
    /// shape and the collection settings of `job`'s config, the current weights' version and size.
    init(version: UInt16, options: LearnerOptions, spec: EnvironmentSpec, job: TrainingJob, weights: Weights, signature: UInt64) {
        let config = job.config
        self.init(
            version: version, runID: options.runID, envID: spec.id, policyVersion: weights.policyVersion, seed: options.seed,
            maxUnackedBatches: UInt16(options.maxUnackedBatches), heartbeatIntervalMilliseconds: UInt32(options.heartbeatIntervalMilliseconds),
            network: job.network, parameterCount: weights.parameters.count, observationClip: config.observationClip,
            normalizeRewards: config.normalizeRewards, gamma: config.gamma, rewardClip: config.rewardClip,
            envArguments: options.run.envArguments, envSignature: signature, envSetup: options.run.envSetup.text)
    }
}

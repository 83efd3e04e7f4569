import Dispatch
import Environments
import PPOCore

/// A rollout of the single-process loop and the episodes that ended in it.
struct CollectedRollout: Sendable {
    /// A finished episode: its statistics, the env steps into the rollout at its end and when it ended.
    struct Episode: Sendable {
        var statistics: EpisodeStatistics
        var stepsIntoRollout: Int
        var endedAt: ContinuousClock.Instant
    }

    var batch: TransitionBatch
    var episodes: [Episode]
}

/// The collecting half of `ppo train --workers 0`: the envs, the action stream, and where rollouts come from.
///
/// With a policy lag of 0 a rollout is collected when the trainer asks for it, with the trainer's own network.
/// With a lag of 1 the next rollout is collected on a thread of its own while the trainer trains on the last one,
/// by a copy of the policy taken before that update (`behaviour`, version v while the trainer makes v+1): the
/// envs keep one core busy and the update the other, as workers and the learner do across processes, and the
/// rule that admits the rollout is the learner's (`Trainer.train`'s precondition, `Scheduler.admits`).
///
/// Only the thread collecting touches `collector`, `actionRNG` and `behaviour` while a collection runs; the
/// trainer's thread starts one (`prefetch`) and waits for it (`next`, `drain`) and touches them at no other time.
final class LocalCollection: @unchecked Sendable {
    let collector: RolloutCollector
    let maxPolicyLag: Int
    private var actionRNG: RNG
    /// The policy acting while the trainer changes its own (lag 1 only).
    private let behaviour: (any PolicyNetwork)?
    private let queue = DispatchQueue(label: "ppo.local-collection")
    private let finished = DispatchSemaphore(value: 0)
    /// Set on the collecting thread before `finished` is signalled, read after waiting on it.
    private var inFlight: Result<CollectedRollout, EnvironmentError>?
    private var running = false

    init(collector: RolloutCollector, actionRNG: RNG, maxPolicyLag: Int, model: any PolicyNetwork, config: PPOConfig) {
        precondition(PPOConfig.policyLags.contains(maxPolicyLag), "a policy lag outside \(PPOConfig.policyLags)")
        self.collector = collector
        self.actionRNG = actionRNG
        self.maxPolicyLag = maxPolicyLag
        if maxPolicyLag > 0 {
            // Its values are copied from the trainer's network before every collection.
            behaviour = model.sameArchitecture()
        } else {
            behaviour = nil
        }
    }

    /// The rollout to train on next: with lag 0 collected now by `trainer`'s policy; with lag 1 the one collected
    /// while the last update ran (or, before the first update, collected now).
    func next(for trainer: Trainer, stepsPerEnv: Int) throws(EnvironmentError) -> CollectedRollout {
        if running { return try wait() }
        return try collect(steps: stepsPerEnv, policy: trainer.model, preprocessing: trainer.preprocessing, version: trainer.version)
    }

    /// With lag 1, starts collecting the rollout after the one about to be trained, with a copy of `trainer`'s
    /// current policy (its version and observation statistics); with lag 0 does nothing.
    func prefetch(for trainer: Trainer, stepsPerEnv: Int) {
        guard let behaviour, !running else { return }
        behaviour.copyParameters(from: trainer.model)
        let preprocessing = trainer.preprocessing, version = trainer.version
        running = true
        queue.async { [self] in
            inFlight = Result { () throws(EnvironmentError) in
                guard let behaviour = self.behaviour else { preconditionFailure("a prefetch without a behaviour policy") }
                return try collect(steps: stepsPerEnv, policy: behaviour, preprocessing: preprocessing, version: version)
            }
            finished.signal()
        }
    }

    /// Waits for a collection in flight and drops it (the run stops before training on it).
    func drain() {
        if running { _ = try? wait() }
    }

    private func wait() throws(EnvironmentError) -> CollectedRollout {
        finished.wait()
        running = false
        defer { inFlight = nil }
        guard let result = inFlight else { preconditionFailure("a collection signalled without a result") }
        return try result.get()
    }

    private func collect(
        steps: Int, policy: any PolicyNetwork, preprocessing: ObservationPreprocessing, version: UInt64
    ) throws(EnvironmentError) -> CollectedRollout {
        let base = collector.envSteps
        var episodes: [CollectedRollout.Episode] = []
        let clock = ContinuousClock()
        let batch = try collector.collect(
            steps: steps, policy: policy, preprocessing: preprocessing,
            version: version, rng: &actionRNG
        ) { episode, collectorSteps in
            episodes.append(.init(statistics: episode, stepsIntoRollout: collectorSteps - base, endedAt: clock.now))
        }
        return CollectedRollout(batch: batch, episodes: episodes)
    }
}

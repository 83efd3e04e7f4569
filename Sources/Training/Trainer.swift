import PPOCore

/// The learner half of PPO: from batches collected by one policy version, GAE per env segment → observation
/// normalisation with that version's statistics → PPO epochs → the next version.
///
/// The single-process loop and the distributed learner run this same object; only where batches come from
/// differs.
public final class Trainer {
    public let config: PPOConfig
    /// The network's architecture (`NetworkSpec.choose`'s, or the seed's MLPs for a flat observation).
    public let network: NetworkSpec
    public let actionSpace: Space
    public let model: any PolicyNetwork
    public let updater: any PolicyUpdater
    /// Observation statistics of the current version (nil when the run does not normalise observations).
    public private(set) var observationNormalizer: RunningMeanStd?
    /// How the current policy preprocesses observations: its statistics, and the run's clip.
    public var preprocessing: ObservationPreprocessing {
        ObservationPreprocessing(normalizer: observationNormalizer, clip: config.observationClip, network: network)
    }
    /// The policy version the current parameters are: 0 at initialisation, +1 per update.
    public private(set) var version: UInt64 = 0
    /// Updates done so far.
    public private(set) var updates = 0
    /// Transitions trained on so far.
    public private(set) var trainedTransitions = 0
    /// The trainer's own random stream (minibatch shuffling).
    public var rng: RNG

    /// A trainer of `network` for actions of `actionSpace` (its head must be the space's). `threads`: of the PPO
    /// update of the seed's MLPs (1; 2: actor and critic in parallel, bit-identical results; more: the minibatch
    /// split, deterministic per count); a convolutional network's update uses OpenBLAS's threads.
    /// `initialized: false` leaves the parameters to be restored (a checkpoint's).
    public init(network: NetworkSpec, actionSpace: Space, config: PPOConfig, seed: UInt64, threads: Int = 1, initialized: Bool = true) {
        precondition(network.head == PolicyHead(actionSpace), "the network's head does not fit the action space")
        self.config = config
        self.network = network
        self.actionSpace = actionSpace
        var initRNG = RNG(seed: seed).split(0)
        model = initialized ? network.makeNetwork(config: config, rng: &initRNG) : network.makeUninitializedNetwork()
        updater = makeUpdater(for: model, config: config, threads: threads)
        observationNormalizer = config.normalizeObservations ? RunningMeanStd(dimension: network.observationSize) : nil
        rng = RNG(seed: seed).split(1)
    }

    /// A trainer of the seed's MLPs (the config's hidden sizes and activation) over flat observations.
    public convenience init(observationSize: Int, actionSpace: Space, config: PPOConfig, seed: UInt64, threads: Int = 1) {
        let network = NetworkSpec.separate(
            observationSize: observationSize, hiddenSizes: config.hiddenSizes, activation: config.activation, head: PolicyHead(actionSpace))
        self.init(network: network, actionSpace: actionSpace, config: config, seed: seed, threads: threads)
    }

    /// What one update did.
    public struct UpdateReport: Sendable {
        public var version: UInt64
        public var transitions: Int
        public var statistics: UpdateStatistics
        public var seconds: Double
    }

    /// Trains on `batches`, all collected by the current version (or, with `maxPolicyLag` L > 0, by one at most L
    /// versions older: the PPO ratio is against the log-probs of the policy that acted, which every batch carries),
    /// then advances the version.
    ///
    /// `update`/`totalUpdates` drive the learning-rate schedule (1-based).
    ///
    /// Whether a batch may be trained on is decided before it gets here: by the learner's on-policy gate
    /// (`Scheduler.accept`) for batches from the network, by the collector for the single-process loop. A batch of
    /// another version or shape reaching this point is a bug, and stops the process.
    public func train(on batches: [TransitionBatch], update: Int, totalUpdates: Int, maxPolicyLag: UInt64 = 0) -> UpdateReport {
        let clock = ContinuousClock()
        let start = clock.now
        var n = 0
        for batch in batches {
            precondition(batch.policyVersion <= version && version - batch.policyVersion <= maxPolicyLag,
                         "off-policy batch (version \(batch.policyVersion), trainer at \(version), lag at most \(maxPolicyLag)) passed the gate")
            precondition(batch.isConsistent && batch.observationSize == model.observationSize && batch.actionSize == model.actionSize,
                         "a batch that does not fit the model passed the gate")
            n += batch.count
        }
        precondition(n > 0, "an update with no transitions")

        // One rollout of rows, time-major within each batch, with GAE per env segment.
        var rollout = Rollout(reservingRows: n, observationSize: model.observationSize, actionSize: model.actionSize)
        var adv: [Float] = []
        var ret: [Float] = []
        for batch in batches {
            batch.computeAdvantages(
                gamma: Float(config.gamma), lambda: Float(config.gaeLambda), handling: config.truncation,
                advantages: &adv, returns: &ret)
            batch.appendRows(to: &rollout, advantages: adv, returns: ret)
        }
        // The policy acted on observations normalised with this version's statistics: train on the same
        // numbers, then fold the raw observations into the statistics for the next version. (With a policy lag, a
        // batch of the version before acted on that version's statistics: the PPO ratio then compares the current
        // policy, its statistics included, with the one that acted, as it should.)
        if var next = observationNormalizer {
            let acted = preprocessing
            rollout.observations.withUnsafeMutableBufferPointer { buffer in
                guard let base = buffer.baseAddress else { return }
                next.update(base, rows: n)
                acted.apply(base, rows: n)
            }
            observationNormalizer = next
        }
        let learningRate = config.learningRateSchedule.rate(base: config.learningRate, update: update, totalUpdates: totalUpdates)
        let statistics = updater.update(rollout, learningRate: learningRate, rng: &rng)
        version += 1
        updates += 1
        trainedTransitions += n
        let elapsed = clock.now - start
        return UpdateReport(
            version: version, transitions: n, statistics: statistics,
            seconds: Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18)
    }

    /// Restores counters and statistics from a checkpoint (the parameters and Adam state are restored in place).
    public func restore(version: UInt64, updates: Int, trainedTransitions: Int, normalizer: RunningMeanStd?, rng: RNG) {
        self.version = version
        self.updates = updates
        self.trainedTransitions = trainedTransitions
        self.observationNormalizer = normalizer
        self.rng = rng
    }
}

/// What a trainer asks of an update, whichever the network: one minibatch step (forward, loss, backward, the
/// global-norm clip, Adam) and, from it, the PPO epochs over a rollout — one loop for every architecture.
public protocol PolicyUpdater: AnyObject {
    /// The network it trains.
    var network: any PolicyNetwork { get }
    /// Adam over `network.parameters` (its state is the checkpoint's).
    var optimizer: Adam { get }
    var config: PPOConfig { get }
    /// The epochs' gathered minibatch columns, kept between updates.
    var epochScratch: EpochScratch { get }

    /// One full minibatch step on `count` rows given contiguous; returns the loss statistics and the gradient
    /// norm before clipping.
    func minibatchStep(
        observations: UnsafePointer<Float>, actions: UnsafePointer<Float>, oldLogProbs: UnsafePointer<Float>,
        advantages: UnsafePointer<Float>, returns: UnsafePointer<Float>, oldValues: UnsafePointer<Float>, count: Int
    ) -> (loss: PPOLoss.Statistics, gradNorm: Float)
}

/// The updater of `network`: `PPOUpdater` for the seed's MLPs (on `threads`), `SharedTrunkUpdater` for a
/// convolutional network (OpenBLAS on one thread, or two when the run has no policy lag).
public func makeUpdater(for network: any PolicyNetwork, config: PPOConfig, threads: Int = 1) -> any PolicyUpdater {
    if let separate = network as? ActorCritic { return PPOUpdater(model: separate, config: config, threads: threads) }
    guard let convolutional = network as? ConvolutionalActorCritic else { preconditionFailure("a network without an updater") }
    // OpenBLAS on two threads only while nothing else calls it: with a policy lag, the collector's inference runs
    // beside the update.
    return SharedTrunkUpdater(model: convolutional, config: config, threads: config.maxPolicyLag == 0 ? threads : 1)
}

/// Minibatch columns gathered from a rollout's rows, and the shuffled order.
public final class EpochScratch {
    let observations = ScratchBuffer(), actions = ScratchBuffer(), oldLogProbs = ScratchBuffer()
    let advantages = ScratchBuffer(), returns = ScratchBuffer(), oldValues = ScratchBuffer()
    var indices: [Int] = []
    var normalizedAdvantages: [Float] = []
    public init() {}
}

extension PolicyUpdater {
    /// `minibatchStep` on an array minibatch (benchmarks, tests).
    public func minibatchStep(_ batch: Minibatch) -> (loss: PPOLoss.Statistics, gradNorm: Float) {
        precondition(batch.observations.count == batch.count * network.observationSize
            && batch.actions.count == batch.count * network.actionSize, "minibatch columns disagree with the network")
        return batch.withPointers { o, a, lp, adv, r, v in
            minibatchStep(observations: o, actions: a, oldLogProbs: lp, advantages: adv, returns: r, oldValues: v, count: batch.count)
        }
    }

    /// The advantages the epochs train on: the rollout's, standardised over the whole rollout when so configured
    /// (per minibatch is done as each is gathered).
    private func prepareAdvantages(_ rollout: Rollout) {
        let scratch = epochScratch
        scratch.normalizedAdvantages = rollout.advantages
        guard config.advantageNormalization == .rollout else { return }
        scratch.normalizedAdvantages.withUnsafeMutableBufferPointer { buffer in
            if let base = buffer.baseAddress { Statistics.standardize(base, count: rollout.count) }
        }
    }

    /// The PPO epochs over a rollout: advantage normalisation as configured, `updateEpochs` passes of shuffled
    /// minibatches (the last one may be smaller, like PyTorch's `BatchSampler(drop_last=False)`), optional early
    /// stop on `targetKL`.
    public func update(_ rollout: Rollout, learningRate: Double, rng: inout RNG) -> UpdateStatistics {
        let n = rollout.count
        let obsSize = network.observationSize, actSize = network.actionSize
        precondition(rollout.isConsistent(observationSize: obsSize, actionSize: actSize), "rollout columns disagree in length")
        optimizer.learningRate = learningRate
        var stats = UpdateStatistics(learningRate: learningRate)
        guard n > 0 else { return stats }
        prepareAdvantages(rollout)
        let s = epochScratch
        let batchSize = min(config.minibatchSize, n)
        let obsBuf = s.observations.reserve(batchSize * obsSize), actBuf = s.actions.reserve(batchSize * actSize)
        let lpBuf = s.oldLogProbs.reserve(batchSize), advBuf = s.advantages.reserve(batchSize)
        let retBuf = s.returns.reserve(batchSize), valBuf = s.oldValues.reserve(batchSize)

        rollout.observations.withUnsafeBufferPointer { observations in
        rollout.actions.withUnsafeBufferPointer { actions in
        rollout.logProbs.withUnsafeBufferPointer { logProbs in
        rollout.values.withUnsafeBufferPointer { values in
        rollout.returns.withUnsafeBufferPointer { returns in
        s.normalizedAdvantages.withUnsafeBufferPointer { advantages in
            guard let obs = observations.baseAddress, let act = actions.baseAddress else { return }
            epochs: for _ in 0..<config.updateEpochs {
                rng.permutation(n, into: &s.indices)
                var epochKL = 0.0
                var epochBatches = 0
                var start = 0
                while start < n {
                    let count = min(batchSize, n - start)
                    for r in 0..<count {
                        let i = s.indices[start + r]
                        (obsBuf + r * obsSize).update(from: obs + i * obsSize, count: obsSize)
                        (actBuf + r * actSize).update(from: act + i * actSize, count: actSize)
                        lpBuf[r] = logProbs[i]
                        advBuf[r] = advantages[i]
                        retBuf[r] = returns[i]
                        valBuf[r] = values[i]
                    }
                    if config.advantageNormalization == .minibatch {
                        Statistics.standardize(advBuf, count: count)
                    }
                    let (loss, norm) = minibatchStep(
                        observations: obsBuf, actions: actBuf, oldLogProbs: lpBuf, advantages: advBuf,
                        returns: retBuf, oldValues: valBuf, count: count)
                    stats.add(loss, gradNorm: norm)
                    epochKL += Double(loss.approxKL)
                    epochBatches += 1
                    start += count
                }
                stats.epochs += 1
                if let target = config.targetKL, epochKL / Double(max(epochBatches, 1)) > target { break epochs }
            }
            if let v = values.baseAddress, let r = returns.baseAddress {
                stats.explainedVariance = Statistics.explainedVariance(predicted: v, target: r, count: n)
            }
        }}}}}}
        return stats.averaged()
    }
}

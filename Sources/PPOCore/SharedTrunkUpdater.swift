/// Runs PPO updates of a convolutional network (`ConvolutionalActorCritic`, one trunk for both heads) with Adam:
/// each minibatch is one forward pass of the flat observations, the head's log-probabilities and entropies, the
/// loss, one backward pass, the global-norm clip and Adam's step over every parameter, as CleanRL's Atari update.
/// On two threads OpenBLAS runs each product on two (the per-sample work around them, unfolding and folding the
/// patches, stays on one: a helper thread for half of it measured no faster, OpenBLAS's own threads spinning on the
/// second core between products).
public final class SharedTrunkUpdater: PolicyUpdater {
    public let model: ConvolutionalActorCritic
    public var network: any PolicyNetwork { model }
    public let optimizer: Adam
    public let config: PPOConfig
    public let coefficients: PPOLoss.Coefficients
    public let epochScratch = EpochScratch()
    private let scratch = ConvolutionalActorCritic.StepScratch()
    /// 1, or 2 (OpenBLAS's threads).
    public let threads: Int

    public init(model: ConvolutionalActorCritic, config: PPOConfig, threads: Int = 1) {
        self.model = model
        self.config = config
        self.threads = min(max(threads, 1), 2)
        coefficients = PPOLoss.Coefficients(config)
        optimizer = Adam(parameters: model.parameters, config: config)
    }

    public func minibatchStep(
        observations: UnsafePointer<Float>, actions: UnsafePointer<Float>, oldLogProbs: UnsafePointer<Float>,
        advantages: UnsafePointer<Float>, returns: UnsafePointer<Float>, oldValues: UnsafePointer<Float>, count: Int
    ) -> (loss: PPOLoss.Statistics, gradNorm: Float) {
        Kernels.withBLASThreads(threads) {
            step(observations: observations, actions: actions, oldLogProbs: oldLogProbs, advantages: advantages,
                 returns: returns, oldValues: oldValues, count: count)
        }
    }

    private func step(
        observations: UnsafePointer<Float>, actions: UnsafePointer<Float>, oldLogProbs: UnsafePointer<Float>,
        advantages: UnsafePointer<Float>, returns: UnsafePointer<Float>, oldValues: UnsafePointer<Float>, count: Int
    ) -> (loss: PPOLoss.Statistics, gradNorm: Float) {
        model.zeroGrad()
        let (outputs, values) = model.forward(flat: observations, batch: count)
        let stats = model.lossAndBackward(
            outputs: outputs, values: values, actions: actions, oldLogProbs: oldLogProbs, advantages: advantages,
            returns: returns, oldValues: oldValues, count: count, coefficients: coefficients, scratch: scratch)
        let norm = clipGradNorm(model.parameters, maxNorm: config.maxGradNorm)
        optimizer.update()
        return (stats, norm)
    }
}

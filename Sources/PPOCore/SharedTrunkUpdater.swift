/// Runs PPO updates of a convolutional network (`ConvolutionalActorCritic`, one trunk for both heads) with Adam:
/// each minibatch is one forward pass of the flat observations, the head's log-probabilities and entropies, the
/// loss, one backward pass, the global-norm clip and Adam's step over every parameter, as CleanRL's Atari update.
/// The parallelism is OpenBLAS's, inside each convolution's and layer's sgemm.
public final class SharedTrunkUpdater: PolicyUpdater {
    public let model: ConvolutionalActorCritic
    public var network: any PolicyNetwork { model }
    public let optimizer: Adam
    public let config: PPOConfig
    public let coefficients: PPOLoss.Coefficients
    public let epochScratch = EpochScratch()
    private let scratch = ConvolutionalActorCritic.StepScratch()

    public init(model: ConvolutionalActorCritic, config: PPOConfig) {
        self.model = model
        self.config = config
        coefficients = PPOLoss.Coefficients(config)
        optimizer = Adam(parameters: model.parameters, config: config)
    }

    public func minibatchStep(
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

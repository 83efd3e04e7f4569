/// The actor–critic for image observations, as CleanRL's Atari agent: a convolutional encoder and one fully
/// connected layer shared by both heads (a shared trunk), then the policy's outputs and the value.
///
///     image (B, C, H, W) × inputScale → [Conv2D → ReLU]… → flatten (C, H, W) → concat vector (B, V) → fc → ReLU
///       → actor (logits, or a Gaussian's mean) and critic V(s)
///
/// Parameter names follow PyTorch's `state_dict` of that agent: `convs.0`, `convs.2`, … (the ReLUs between take
/// the odd indices), `fc`, `actor`, `critic`, then `actor_logstd` for a Gaussian head.
public final class ConvolutionalActorCritic {
    /// One convolution of the encoder: PyTorch's `Conv2d(_, outChannels, kernel, stride)`, no padding.
    public struct Convolution: Sendable, Equatable {
        public var outChannels, kernel, stride: Int
        public init(outChannels: Int, kernel: Int, stride: Int) {
            (self.outChannels, self.kernel, self.stride) = (outChannels, kernel, stride)
        }
    }

    public let convolutions: [Conv2D]
    public let fc: Linear
    public let actor: Linear
    public let critic: Linear
    public let logStd: Parameter?
    public let head: PolicyHead
    /// Floats of the vector observation concatenated after the image's features (0 for none).
    public let vectorSize: Int
    /// What the image's values are multiplied by first (1/255 for 0–255 pixels).
    public let inputScale: Float

    private let scaled = ScratchBuffer()
    private let activations: [ScratchBuffer]
    private let joined = ScratchBuffer()
    private let hidden = ScratchBuffer()
    private let outputs = ScratchBuffer()
    private let values = ScratchBuffer()
    private let dHidden = ScratchBuffer()
    private let dHiddenFromCritic = ScratchBuffer()
    private let dJoined = ScratchBuffer()
    private let dActivations: [ScratchBuffer]
    private var lastBatch = 0

    /// An encoder of `convolutions` over (channels, height, width) images, a vector of `vectorSize` beside them,
    /// a shared layer of `hidden` units and the heads of `head`. Parameters are zero: load or initialise them.
    public init(
        channels: Int, height: Int, width: Int, convolutions specs: [Convolution], vectorSize: Int, hidden: Int,
        head: PolicyHead, inputScale: Float
    ) {
        var layers: [Conv2D] = []
        var (c, h, w) = (channels, height, width)
        for (index, spec) in specs.enumerated() {
            let conv = Conv2D(inChannels: c, outChannels: spec.outChannels, kernel: spec.kernel, stride: spec.stride,
                              inHeight: h, inWidth: w, name: "convs.\(2 * index)")
            layers.append(conv)
            (c, h, w) = (conv.outChannels, conv.outHeight, conv.outWidth)
        }
        convolutions = layers
        self.vectorSize = vectorSize
        self.head = head
        self.inputScale = inputScale
        fc = Linear(inFeatures: c * h * w + vectorSize, outFeatures: hidden, name: "fc")
        actor = Linear(inFeatures: hidden, outFeatures: head.outputSize, name: "actor")
        critic = Linear(inFeatures: hidden, outFeatures: 1, name: "critic")
        logStd = head.logStdDimension.map { Parameter(name: "actor_logstd", shape: [1, $0]) }
        activations = layers.map { _ in ScratchBuffer() }
        dActivations = layers.map { _ in ScratchBuffer() }
    }

    /// Every trainable parameter, in `state_dict` order.
    public var parameters: [Parameter] {
        convolutions.flatMap(\.parameters) + fc.parameters + actor.parameters + critic.parameters + (logStd.map { [$0] } ?? [])
    }

    /// Floats of one image, C·H·W, and of the features the encoder gives it.
    public var imageSize: Int { convolutions.first?.inputSize ?? 0 }
    public var featureSize: Int { convolutions.last?.outputSize ?? 0 }

    /// The actor's outputs (B, head.outputSize) and the values (B) of `batch` observations: images (B, C·H·W), as
    /// the env gives their values (scaled here), and vectors (B, vectorSize; nil when there is none). The
    /// pointers stay valid until the next call; every intermediate is kept for `backward`.
    public func forward(
        images: UnsafePointer<Float>, vectors: UnsafePointer<Float>?, batch: Int
    ) -> (outputs: UnsafePointer<Float>, values: UnsafePointer<Float>) {
        lastBatch = batch
        let input = scaled.reserve(batch * imageSize)
        for i in 0..<(batch * imageSize) { input[i] = images[i] * inputScale }
        var current = UnsafePointer(input)
        for (conv, activation) in zip(convolutions, activations) {
            let out = activation.reserve(batch * conv.outputSize)
            conv.forward(current, into: out, batch: batch)
            Kernels.reluInPlace(out, count: batch * conv.outputSize)
            current = UnsafePointer(out)
        }
        let width = featureSize + vectorSize
        let row = joined.reserve(batch * width)
        for b in 0..<batch {
            (row + b * width).update(from: current + b * featureSize, count: featureSize)
            if let vectors { (row + b * width + featureSize).update(from: vectors + b * vectorSize, count: vectorSize) }
        }
        let h = hidden.reserve(batch * fc.outFeatures)
        fc.forward(row, into: h, batch: batch)
        Kernels.reluInPlace(h, count: batch * fc.outFeatures)
        let out = outputs.reserve(batch * actor.outFeatures)
        actor.forward(h, into: out, batch: batch)
        let v = values.reserve(batch)
        critic.forward(h, into: v, batch: batch)
        return (UnsafePointer(out), UnsafePointer(v))
    }

    /// After `forward` of the same batch: from ∂L/∂outputs (B, head.outputSize) and ∂L/∂values (B), accumulates
    /// every parameter's gradient (the log-std's comes from the head, not from here).
    public func backward(dOutputs: UnsafePointer<Float>, dValues: UnsafePointer<Float>) {
        let batch = lastBatch, units = fc.outFeatures
        let dh = dHidden.reserve(batch * units)
        let dhCritic = dHiddenFromCritic.reserve(batch * units)
        actor.backward(hidden.pointer, dy: dOutputs, dx: dh, batch: batch)
        critic.backward(hidden.pointer, dy: dValues, dx: dhCritic, batch: batch)
        for i in 0..<(batch * units) { dh[i] += dhCritic[i] }
        Kernels.reluBackwardInPlace(dy: dh, y: hidden.pointer, count: batch * units)
        let width = featureSize + vectorSize
        let dRow = dJoined.reserve(batch * width)
        fc.backward(joined.pointer, dy: dh, dx: dRow, batch: batch)
        guard let last = convolutions.indices.last else { return }
        let dFeatures = dActivations[last].reserve(batch * featureSize)
        for b in 0..<batch { (dFeatures + b * featureSize).update(from: dRow + b * width, count: featureSize) }
        for index in convolutions.indices.reversed() {
            let conv = convolutions[index]
            let dOut = dActivations[index].pointer
            Kernels.reluBackwardInPlace(dy: dOut, y: activations[index].pointer, count: batch * conv.outputSize)
            let dInput = index > 0 ? dActivations[index - 1].reserve(batch * conv.inputSize) : nil
            conv.backward(dy: dOut, dx: dInput, batch: batch)
        }
    }
}

extension ConvolutionalActorCritic {
    /// One PPO step on `batch` (CleanRL's Atari loss), whose observations are the images (B, C·H·W), with the
    /// vector key's values `vectors` (B, vectorSize; empty for none): the gradients zeroed, forward, the head's
    /// log-probabilities and entropies, the loss with `coefficients` and the advantages as given, backward,
    /// `clip_grad_norm_` (`maxGradNorm`), and one step of `adam` (made over `parameters`). Returns the loss's
    /// statistics.
    public func minibatchStep(
        _ batch: Minibatch, vectors: [Float] = [], coefficients: PPOLoss.Coefficients, maxGradNorm: Double, adam: Adam,
        scratch: StepScratch
    ) -> PPOLoss.Statistics {
        precondition(batch.observations.count == batch.count * imageSize && vectors.count == batch.count * vectorSize
            && batch.actions.count == batch.count * head.actionSize, "minibatch columns disagree with the model")
        let count = batch.count
        for p in parameters { p.zeroGrad() }
        let stats = batch.withPointers { images, actions, oldLogProbs, advantages, returns, oldValues in
            let (outputs, values) = vectors.withUnsafeBufferPointer { forward(images: images, vectors: $0.baseAddress, batch: count) }
            let logProb = scratch.logProbs.reserve(count), entropy = scratch.entropies.reserve(count)
            head.evaluate(outputs: outputs, actions: actions, count: count, logStd: logStd, logProb: logProb, entropy: entropy,
                          scratch: scratch.head)
            let dLogProb = scratch.dLogProbs.reserve(count), dEntropy = scratch.dEntropies.reserve(count)
            let dValue = scratch.dValues.reserve(count)
            let stats = PPOLoss.compute(
                newLogProb: logProb, entropy: entropy, newValue: values, oldLogProb: oldLogProbs, advantages: advantages,
                returns: returns, oldValues: oldValues, count: count, coefficients: coefficients,
                dNewLogProb: dLogProb, dEntropy: dEntropy, dNewValue: dValue)
            let dOutputs = scratch.dOutputs.reserve(count * head.outputSize)
            head.backward(outputs: outputs, actions: actions, count: count, logStd: logStd, dLogProb: dLogProb,
                          dEntropy: dEntropy, scratch: scratch.head, dOutputs: dOutputs)
            backward(dOutputs: dOutputs, dValues: dValue)
            return stats
        }
        clipGradNorm(parameters, maxNorm: maxGradNorm)
        adam.update()
        return stats
    }

    /// The per-sample buffers of `minibatchStep`, kept between calls.
    public final class StepScratch {
        let head = PolicyHead.Scratch()
        let logProbs = ScratchBuffer(), entropies = ScratchBuffer()
        let dLogProbs = ScratchBuffer(), dEntropies = ScratchBuffer(), dValues = ScratchBuffer(), dOutputs = ScratchBuffer()
        public init() {}
    }
}

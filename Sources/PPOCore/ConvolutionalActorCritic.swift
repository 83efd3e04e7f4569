/// The actor–critic for image observations, as CleanRL's Atari agent: a convolutional encoder and one fully
/// connected layer shared by both heads (a shared trunk), then the policy's outputs and the value.
///
///     image (B, C, H, W) × inputScale → [Conv2D → ReLU]… → flatten (C, H, W) → concat vector (B, V) → fc → ReLU
///       → actor (logits, or a Gaussian's mean) and critic V(s)
///
/// Parameter names follow PyTorch's `state_dict` of that agent: `convs.0`, `convs.2`, … (the ReLUs between take
/// the odd indices), `fc`, `actor`, `critic`, then `actor_logstd` for a Gaussian head.
public final class ConvolutionalActorCritic: PolicyNetwork {
    /// One convolution of the encoder: PyTorch's `Conv2d(_, outChannels, kernel, stride)`, no padding.
    /// Written `[out_channels, kernel, stride]` in presets, `--set` and checkpoints.
    public struct Convolution: Sendable, Equatable, Hashable, Codable, CustomStringConvertible {
        public var outChannels, kernel, stride: Int
        public init(outChannels: Int, kernel: Int, stride: Int) {
            (self.outChannels, self.kernel, self.stride) = (outChannels, kernel, stride)
        }
        public init(from decoder: Decoder) throws {
            var list = try decoder.unkeyedContainer()
            var values: [Int] = []
            while !list.isAtEnd, values.count < 4 { values.append(try list.decode(Int.self)) }
            guard values.count == 3, values.allSatisfy({ (1...65536).contains($0) }) else {
                throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "a convolution is [out_channels, kernel, stride], three positive whole numbers"))
            }
            self.init(outChannels: values[0], kernel: values[1], stride: values[2])
        }
        public func encode(to encoder: Encoder) throws {
            var list = encoder.unkeyedContainer()
            try list.encode(contentsOf: [outChannels, kernel, stride])
        }
        public var description: String { "\(kernel)×\(kernel)/\(stride) (\(outChannels))" }
    }

    public let spec: NetworkSpec
    /// Where the image sits in a flat observation.
    public let image: ImageLayout

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
    /// A flat batch's other values, as `split` leaves them (its images go to `scaled`).
    private let splitVectors = ScratchBuffer()

    /// The network `spec` describes (its body must be convolutional); parameters are zero: load or initialise them.
    public init(spec: NetworkSpec) {
        guard case .convolutional(let image, let specs, let hidden) = spec.body else {
            preconditionFailure("a ConvolutionalActorCritic of a network without convolutions")
        }
        precondition(spec.problem == nil, "a network description that does not fit: \(spec.problem ?? "")")
        self.spec = spec
        self.image = image
        var layers: [Conv2D] = []
        var (c, h, w) = (image.channels, image.height, image.width)
        for (index, conv) in specs.enumerated() {
            let layer = Conv2D(inChannels: c, outChannels: conv.outChannels, kernel: conv.kernel, stride: conv.stride,
                               inHeight: h, inWidth: w, name: "convs.\(2 * index)")
            layers.append(layer)
            (c, h, w) = (layer.outChannels, layer.outHeight, layer.outWidth)
        }
        convolutions = layers
        vectorSize = image.vectorSize(observationSize: spec.observationSize)
        head = spec.head
        inputScale = image.scale
        fc = Linear(inFeatures: c * h * w + vectorSize, outFeatures: hidden, name: "fc")
        actor = Linear(inFeatures: hidden, outFeatures: head.outputSize, name: "actor")
        critic = Linear(inFeatures: hidden, outFeatures: 1, name: "critic")
        logStd = head.logStdDimension.map { Parameter(name: "actor_logstd", shape: [1, $0]) }
        activations = layers.map { _ in ScratchBuffer() }
        dActivations = layers.map { _ in ScratchBuffer() }
    }

    /// An encoder of `convolutions` over channels-first images, a vector of `vectorSize` after each image, a shared
    /// layer of `hidden` units and the heads of `head`. Parameters are zero: load or initialise them.
    public convenience init(
        channels: Int, height: Int, width: Int, convolutions specs: [Convolution], vectorSize: Int, hidden: Int,
        head: PolicyHead, inputScale: Float
    ) {
        let image = ImageLayout(offset: 0, height: height, width: width, channels: channels, channelsFirst: true, scale: inputScale)
        self.init(spec: NetworkSpec(
            observationSize: image.size + vectorSize, body: .convolutional(image: image, convolutions: specs, hidden: hidden), head: head))
    }

    /// The network `spec` describes, initialised as CleanRL's `layer_init`: orthogonal weights of gain √2 (the
    /// convolutions and the shared layer), 0.01 (the actor) and 1 (the critic), zero biases; the log-std at
    /// `initialLogStd`.
    public convenience init(spec: NetworkSpec, initialLogStd: Double, rng: inout RNG) {
        self.init(spec: spec)
        let root2 = 2.0.squareRoot()
        for conv in convolutions {
            Initialization.orthogonal(conv.weight, rows: conv.outChannels, gain: root2, rng: &rng)
        }
        Initialization.orthogonal(fc.weight, rows: fc.outFeatures, gain: root2, rng: &rng)
        Initialization.orthogonal(actor.weight, rows: actor.outFeatures, gain: 0.01, rng: &rng)
        Initialization.orthogonal(critic.weight, rows: 1, gain: 1, rng: &rng)
        logStd?.value.update(repeating: Float(initialLogStd), count: logStd?.count ?? 0)
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
        let input = scaled.reserve(batch * imageSize)
        for i in 0..<(batch * imageSize) { input[i] = images[i] * inputScale }
        return forward(scaledImages: input, vectors: vectors, batch: batch)
    }

    /// `forward` of images already scaled, in `scaled`'s buffer.
    private func forward(
        scaledImages input: UnsafeMutablePointer<Float>, vectors: UnsafePointer<Float>?, batch: Int
    ) -> (outputs: UnsafePointer<Float>, values: UnsafePointer<Float>) {
        lastBatch = batch
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

    /// The actor's outputs and the values of `batch` flat observations (B, observationSize): the image taken out of
    /// each (permuted to channels-first) and the other values joined after its features, as `forward`.
    public func forward(flat observations: UnsafePointer<Float>, batch: Int) -> (outputs: UnsafePointer<Float>, values: UnsafePointer<Float>) {
        // Split straight into the scaled images' buffer and scale there: the planes are copied once.
        let images = scaled.reserve(batch * imageSize)
        let vectors = splitVectors.reserve(max(batch * vectorSize, 1))
        image.split(observations, rows: batch, observationSize: spec.observationSize, images: images, vectors: vectors)
        for i in 0..<(batch * imageSize) { images[i] *= inputScale }
        return forward(scaledImages: images, vectors: vectorSize > 0 ? UnsafePointer(vectors) : nil, batch: batch)
    }

    public func act(
        observations: UnsafePointer<Float>, count: Int, deterministic: Bool, rng: inout RNG,
        actions: UnsafeMutablePointer<Float>, logProbs: UnsafeMutablePointer<Float>, values: UnsafeMutablePointer<Float>
    ) {
        let (outputs, v) = forward(flat: observations, batch: count)
        head.act(outputs: outputs, count: count, logStd: logStd, deterministic: deterministic, rng: &rng, actions: actions, logProbs: logProbs)
        values.update(from: v, count: count)
    }

    public func value(observations: UnsafePointer<Float>, count: Int, into values: UnsafeMutablePointer<Float>) {
        values.update(from: forward(flat: observations, batch: count).values, count: count)
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
            return lossAndBackward(
                outputs: outputs, values: values, actions: actions, oldLogProbs: oldLogProbs, advantages: advantages,
                returns: returns, oldValues: oldValues, count: count, coefficients: coefficients, scratch: scratch)
        }
        clipGradNorm(parameters, maxNorm: maxGradNorm)
        adam.update()
        return stats
    }

    /// After `forward` of `count` samples (its `outputs` and `values`): the head's log-probabilities and entropies
    /// of `actions`, the PPO loss with `coefficients` and the advantages as given, and the backward pass into every
    /// parameter's gradient. Returns the loss's statistics.
    func lossAndBackward(
        outputs: UnsafePointer<Float>, values: UnsafePointer<Float>, actions: UnsafePointer<Float>, oldLogProbs: UnsafePointer<Float>,
        advantages: UnsafePointer<Float>, returns: UnsafePointer<Float>, oldValues: UnsafePointer<Float>, count: Int,
        coefficients: PPOLoss.Coefficients, scratch: StepScratch
    ) -> PPOLoss.Statistics {
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

    /// The per-sample buffers of `minibatchStep`, kept between calls.
    public final class StepScratch {
        let head = PolicyHead.Scratch()
        let logProbs = ScratchBuffer(), entropies = ScratchBuffer()
        let dLogProbs = ScratchBuffer(), dEntropies = ScratchBuffer(), dValues = ScratchBuffer(), dOutputs = ScratchBuffer()
        public init() {}
    }
}

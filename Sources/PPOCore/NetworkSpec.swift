/// The policy network's architecture: the one description from which the model is built, its parameters counted
/// and shaped, and which the Welcome carries to workers and the checkpoint records (PROTOCOL.md §4.2).
///
/// A flat observation takes the seed's network, two MLPs (`ActorCritic`), bit for bit as before. An observation
/// with an image takes a convolutional encoder over the image whose features join the rest of the observation in
/// one ReLU layer shared by both heads (`ConvolutionalActorCritic`, CleanRL's Atari agent).
public struct NetworkSpec: Sendable, Equatable, Hashable, Codable, CustomStringConvertible {
    public enum Body: Sendable, Equatable, Hashable, Codable {
        /// An actor MLP and a critic MLP over the whole flat observation, of these hidden widths.
        case separate(hidden: [Int], activation: Activation)
        /// Convolutions (each followed by a ReLU) over `image`; their features and the observation's other values
        /// feed one ReLU layer of `hidden` units, then the heads.
        case convolutional(image: ImageLayout, convolutions: [ConvolutionalActorCritic.Convolution], hidden: Int)
    }

    /// Values of a flat observation.
    public var observationSize: Int
    public var body: Body
    public var head: PolicyHead

    public init(observationSize: Int, body: Body, head: PolicyHead) {
        (self.observationSize, self.body, self.head) = (observationSize, body, head)
    }

    /// The seed's network for a flat observation.
    public static func separate(observationSize: Int, hiddenSizes: [Int], activation: Activation, head: PolicyHead) -> NetworkSpec {
        NetworkSpec(observationSize: observationSize, body: .separate(hidden: hiddenSizes, activation: activation), head: head)
    }

    /// The Nature CNN (Mnih et al. 2015) of CleanRL's and Stable-Baselines3's Atari agents: 8×8/4 (32), 4×4/2 (64),
    /// 3×3/1 (64), then 512 units. It needs images of at least `natureSide` on both sides.
    public static let natureConvolutions: [ConvolutionalActorCritic.Convolution] = [
        .init(outChannels: 32, kernel: 8, stride: 4), .init(outChannels: 64, kernel: 4, stride: 2), .init(outChannels: 64, kernel: 3, stride: 1),
    ]
    public static let natureSide = 36

    /// The network a run trains on observations of `observationSize` values with these `images` (the bridge's
    /// image keys, in order) and actions of `head`: convolutional when the config names a conv stack (over the
    /// only image, pixels or 0/1 planes) or an image of pixels (0–255) is at least `natureSide` on both sides (the
    /// Nature CNN); else the seed's two MLPs over the flattened observation. Throws a sentence a user can act on.
    public static func choose(
        observationSize: Int, images: [ImageLayout], head: PolicyHead, config: PPOConfig
    ) throws(NetworkSpecError) -> NetworkSpec {
        // Pixels (a scale under 1: 0–255) this large take the Nature CNN by themselves; 0/1 planes only when asked.
        let large = images.filter { $0.scale < 1 && min($0.height, $0.width) >= natureSide }
        let candidates = config.convolutions == nil ? large : images
        guard let image = candidates.first else {
            if config.convolutions != nil {
                throw NetworkSpecError("convolutions are set, and the observation has no image (a uint8 Box of 0–255 or a bool Box, of 2 or 3 axes): leave convolutions out to train the MLPs")
            }
            return .separate(observationSize: observationSize, hiddenSizes: config.hiddenSizes, activation: config.activation, head: head)
        }
        guard candidates.count == 1 else {
            throw NetworkSpecError("the observation has \(candidates.count) images, and the convolutional encoder takes one: leave the others out with gymnasium.wrappers.FilterObservation")
        }
        let spec = NetworkSpec(
            observationSize: observationSize,
            body: .convolutional(image: image, convolutions: config.convolutions ?? natureConvolutions, hidden: config.sharedHiddenSize),
            head: head)
        if let problem = spec.problem { throw NetworkSpecError(problem) }
        // The unfolded patches of a minibatch (or of the envs acting together) are one sgemm of 32-bit sizes.
        let positions = image.height * image.width, batch = max(config.minibatchSize, config.numEnvs)
        guard batch <= Int(Int32.max) / positions else {
            throw NetworkSpecError("minibatches of \(batch) samples of a \(image.height)×\(image.width) image are too large for one convolution: use minibatches of at most \(Int(Int32.max) / positions)")
        }
        return spec
    }

    /// Why this network cannot read the observations of an env whose images are `images` (its image is not one of
    /// them: another shape, or elsewhere in the observation), or nil.
    public func problem(readingImages images: [ImageLayout]) -> String? {
        guard case .convolutional(let image, _, _) = body, !images.contains(image) else { return nil }
        let theirs = images.isEmpty ? "no images" : images.map(\.description).joined(separator: ", ")
        return "network reads an \(image), which the environment's observations do not have (\(theirs))"
    }

    /// The flat observation's values that are the image's (nil for a network without one).
    public var imageColumns: Range<Int>? {
        guard case .convolutional(let image, _, _) = body else { return nil }
        return image.offset..<(image.offset + image.size)
    }

    /// The number of parameters the network has (`Int.max` for a description whose count overflows: `problem`
    /// refuses it).
    public var parameterCount: Int { checkedParameterCount ?? .max }

    /// The count, or nil when it overflows.
    var checkedParameterCount: Int? {
        switch body {
        case .separate(let hidden, _):
            let sizes = [observationSize] + hidden
            guard sizes.allSatisfy({ (1...(1 << 24)).contains($0) }) else { return nil }
            return ActorCritic.parameterCount(observationSize: observationSize, hiddenSizes: hidden, head: head)
        case .convolutional(let image, let convolutions, let hidden):
            var (c, h, w, total) = (image.channels, image.height, image.width, 0)
            var overflow = false
            func add(_ factors: Int...) {
                var product = 1
                for f in factors {
                    let (p, o) = product.multipliedReportingOverflow(by: f)
                    overflow = overflow || o || f < 0
                    product = p
                }
                let (sum, o) = total.addingReportingOverflow(product)
                overflow = overflow || o
                total = sum
            }
            for conv in convolutions {
                add(conv.outChannels, c, conv.kernel, conv.kernel)
                add(conv.outChannels)
                (c, h, w) = (conv.outChannels, (h - conv.kernel) / conv.stride + 1, (w - conv.kernel) / conv.stride + 1)
            }
            add(c * h * w + image.vectorSize(observationSize: observationSize), hidden)
            add(hidden)
            add(hidden, head.outputSize)
            add(head.outputSize)
            add(hidden + 1)
            add(head.logStdDimension ?? 0)
            return overflow ? nil : total
        }
    }

    /// Floating-point operations (a multiply-add is two) of one sample's forward pass and of its backward pass (the
    /// weights' gradients and the inputs' gradients of every layer but the first, which needs none), counting the
    /// matrix products only: what a minibatch step costs, for benchmarks.
    public var flops: (forward: Double, backward: Double) {
        var layers: [Double] = [], firsts: Double = 0  // multiply-adds of each layer; of the layers the input feeds
        switch body {
        case .separate(let hidden, _):
            let sizes = [observationSize] + hidden, last = Double(hidden.last ?? observationSize)
            let mlp = zip(sizes, sizes.dropFirst()).map { Double($0 * $1) }
            layers = mlp + [last * Double(head.outputSize)] + mlp + [last]
            firsts = 2 * (mlp.first ?? 0)
        case .convolutional(let image, let convolutions, let hidden):
            var (c, h, w) = (image.channels, image.height, image.width)
            for conv in convolutions {
                (h, w) = ((h - conv.kernel) / conv.stride + 1, (w - conv.kernel) / conv.stride + 1)
                layers.append(Double(conv.outChannels * c * conv.kernel * conv.kernel * h * w))
                c = conv.outChannels
            }
            firsts = layers.first ?? 0
            layers.append(Double((c * h * w + image.vectorSize(observationSize: observationSize)) * hidden))
            layers.append(Double(hidden * (head.outputSize + 1)))
        }
        let forward = 2 * layers.reduce(0, +)
        return (forward, 2 * forward - 2 * firsts)
    }

    /// The network, initialised as `initialization` says (the convolutional one orthogonally, as CleanRL's
    /// `layer_init`, whatever it says), with a Gaussian head's log-std at `initialLogStd`.
    public func makeNetwork(initialization: Initialization, initialLogStd: Double, rng: inout RNG) -> any PolicyNetwork {
        switch body {
        case .separate(let hidden, let activation):
            return ActorCritic(
                observationSize: observationSize, head: head, hiddenSizes: hidden, activation: activation,
                initialization: initialization, initialLogStd: initialLogStd, rng: &rng)
        case .convolutional:
            return ConvolutionalActorCritic(spec: self, initialLogStd: initialLogStd, rng: &rng)
        }
    }

    /// The network with parameters to be loaded or copied (a checkpoint's, the Weights', another network's): not
    /// initialised orthogonally, which for a convolutional network's wide layers costs seconds.
    public func makeUninitializedNetwork() -> any PolicyNetwork {
        guard case .convolutional = body else {
            var rng = RNG(seed: 0)
            return makeNetwork(initialization: .pytorchDefault, initialLogStd: 0, rng: &rng)
        }
        return ConvolutionalActorCritic(spec: self)
    }

    /// The network `config` initialises.
    public func makeNetwork(config: PPOConfig, rng: inout RNG) -> any PolicyNetwork {
        makeNetwork(initialization: config.initialization, initialLogStd: config.initialLogStd, rng: &rng)
    }

    public var description: String {
        switch body {
        case .separate(let hidden, let activation):
            return "actor and critic MLPs \(hidden) (\(activation.rawValue)) over \(observationSize) values, \(head) head"
        case .convolutional(let image, let convolutions, let hidden):
            let stack = convolutions.map { "\($0.kernel)×\($0.kernel)/\($0.stride) (\($0.outChannels))" }.joined(separator: " → ")
            let vector = image.vectorSize(observationSize: observationSize)
            return "convolutions \(stack) over the \(image)\(vector > 0 ? " + \(vector) other values" : "") → \(hidden) shared (relu), \(head) head"
        }
    }
}

/// A network description that cannot be built, in a sentence that says what to change.
public struct NetworkSpecError: Error, Sendable, Equatable, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// What a network description may hold: the bounds every description from a peer (the Welcome) or a file (a
/// checkpoint) is checked against before anything is sized by it, each checked before it is multiplied.
extension NetworkSpec {
    /// Most parameters a network may have (4 GiB of float32): a bound on what a description from a peer or a file
    /// can make anyone allocate.
    public static let maxParameters = 1 << 30
    /// Most values one convolution may give one sample (a 32-channel 3×3 convolution over a 255×255 image gives
    /// 2.05 M): the activations a description can make anyone hold per sample are bounded too.
    public static let maxActivations = 1 << 21

    /// Why this description cannot be built (a size out of bounds, an image that does not fit the observation, a
    /// kernel larger than what reaches it, too many values a sample or parameters), or nil. Every description from a
    /// peer or a file is checked with this before it sizes anything; every bound is checked before it is multiplied.
    public var problem: String? {
        guard (1...Self.maxObservation).contains(observationSize) else {
            return "an observation of \(observationSize) values is outside 1–\(Self.maxObservation)"
        }
        if let problem = Self.problem(head: head) { return problem }
        switch body {
        case .separate(let hidden, _):
            guard PPOConfig.hiddenLayerCounts.contains(hidden.count), hidden.allSatisfy(PPOConfig.hiddenWidths.contains) else {
                return "hidden sizes \(hidden.prefix(20)) are outside \(PPOConfig.hiddenLayerCounts.upperBound) layers of \(PPOConfig.hiddenWidths.lowerBound)–\(PPOConfig.hiddenWidths.upperBound)"
            }
        case .convolutional(let image, let convolutions, let hidden):
            if let problem = Self.problem(image: image, convolutions: convolutions, hidden: hidden, observationSize: observationSize) {
                return problem
            }
        }
        guard let count = checkedParameterCount, count <= Self.maxParameters else {
            return "the network would have more than \(Self.maxParameters) parameters"
        }
        return nil
    }

    /// Most values an observation may have here (the wire carries up to 65,535).
    public static let maxObservation = 1 << 24
    /// Most values one convolution's unfolded patches may hold for one sample (C·k·k·Ho·Wo; the Nature CNN's first
    /// holds 102,400): the scratch a description can make anyone allocate per sample.
    public static let maxPatchValues = 1 << 22

    /// A head of 1–65,535 outputs, each segment or dimension 1–65,535.
    static func problem(head: PolicyHead) -> String? {
        let sizes = 1...65535
        let fits = switch head {
        case .categorical(let segments): sizes.contains(segments.count) && segments.allSatisfy(sizes.contains) && segments.reduce(0, +) <= sizes.upperBound
        case .gaussian(let dimension): sizes.contains(dimension)
        case .bernoulli(let count): sizes.contains(count)
        }
        return fits ? nil : "the policy head is outside 1–65,535 outputs"
    }

    static func problem(image: ImageLayout, convolutions: [ConvolutionalActorCritic.Convolution], hidden: Int, observationSize: Int) -> String? {
        let bounds = 1...65536
        guard [image.height, image.width, image.channels, hidden].allSatisfy(bounds.contains), image.offset >= 0,
              image.scale.isFinite, image.scale > 0, image.scale <= 1 else {
            return "the image (\(image.height)×\(image.width)×\(image.channels), scale \(image.scale)) or the shared layer of \(hidden) units is out of bounds (sides, channels and units 1–65536, a scale in (0, 1])"
        }
        guard image.offset <= observationSize, image.size <= observationSize - image.offset else {
            return "the \(image) does not fit in an observation of \(observationSize) values"
        }
        guard (1...PPOConfig.maxConvolutions).contains(convolutions.count) else {
            return "a convolutional network needs 1–\(PPOConfig.maxConvolutions) convolutions (got \(convolutions.count))"
        }
        var (c, h, w) = (image.channels, image.height, image.width)
        for (index, conv) in convolutions.enumerated() {
            guard [conv.outChannels, conv.stride, conv.kernel].allSatisfy(bounds.contains), conv.kernel <= h, conv.kernel <= w else {
                return "convolution \(index + 1) (\(conv)) does not fit its input of \(h)×\(w): use smaller kernels or strides, or fewer convolutions, for a \(image.height)×\(image.width) image"
            }
            (h, w) = ((h - conv.kernel) / conv.stride + 1, (w - conv.kernel) / conv.stride + 1)
            // Every factor is at most 65,536 and each partial product is bounded before a third factor joins it: no
            // product here overflows.
            guard conv.outChannels * h <= maxActivations, conv.outChannels * h * w <= maxActivations else {
                return "convolution \(index + 1) (\(conv)) gives more than \(maxActivations) values a sample: use a larger stride or fewer channels"
            }
            guard c * conv.kernel <= maxPatchValues, c * conv.kernel * conv.kernel <= maxPatchValues,
                  c * conv.kernel * conv.kernel * h * w <= maxPatchValues else {
                return "convolution \(index + 1) (\(conv)) unfolds more than \(maxPatchValues) values a sample: use a smaller kernel, a larger stride or fewer channels before it"
            }
            c = conv.outChannels
        }
        return nil
    }
}

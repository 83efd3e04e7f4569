import Foundation
import Testing
@testable import PPOCore
import TestSupport

/// The network description: which network an observation gets, what a description may hold, the parameters it
/// counts, and the convolutional network trained through the flat observations the rest of the system carries.
@Suite("Network descriptions", .offThePool)
struct NetworkSpecTests {
    static let pixels = ImageLayout(offset: 0, height: 84, width: 84, channels: 4, channelsFirst: true, scale: 1 / 255)

    @Test("an image's channel axis is the smallest, first meaning channels-first; a 2-D image is one channel")
    func imageAxes() throws {
        let stacked = try #require(ImageLayout(shape: [4, 84, 84], offset: 2, high: 255))
        #expect(stacked == ImageLayout(offset: 2, height: 84, width: 84, channels: 4, channelsFirst: true, scale: 1 / 255))
        let board = try #require(ImageLayout(shape: [10, 10, 4], offset: 0, high: 1))
        #expect(board == ImageLayout(offset: 0, height: 10, width: 10, channels: 4, channelsFirst: false, scale: 1))
        let gray = try #require(ImageLayout(shape: [36, 40], offset: 0, high: 255))
        #expect((gray.height, gray.width, gray.channels) == (36, 40, 1))
        #expect(ImageLayout(shape: [5], offset: 0, high: 255) == nil && ImageLayout(shape: [2, 0, 3], offset: 0, high: 255) == nil)
    }

    @Test("split permutes a channels-last image to channels-first planes and keeps the other values in order")
    func split() {
        // Observation: [v0 | image 2×2×3 (h, w, c) | v1, v2]; image value = 100·h + 10·w + c.
        let image = ImageLayout(offset: 1, height: 2, width: 2, channels: 3, channelsFirst: false, scale: 1)
        var observation: [Float] = [-1]
        for h in 0..<2 { for w in 0..<2 { for c in 0..<3 { observation.append(Float(100 * h + 10 * w + c)) } } }
        observation += [-2, -3]
        var planes = [Float](repeating: 0, count: 12), vector = [Float](repeating: 0, count: 3)
        image.split(observation, rows: 1, observationSize: observation.count, images: &planes, vectors: &vector)
        var expected: [Float] = []
        for c in 0..<3 { for h in 0..<2 { for w in 0..<2 { expected.append(Float(100 * h + 10 * w + c)) } } }
        #expect(planes == expected)
        #expect(vector == [-1, -2, -3])
    }

    @Test("flat observations keep the seed's MLPs; a large image takes the Nature CNN; a conv stack takes any image")
    func choice() throws {
        let head = PolicyHead.categorical(segments: [6])
        var config = PPOConfig.default
        let flat = try NetworkSpec.choose(observationSize: 8, images: [], head: head, config: config)
        #expect(flat == .separate(observationSize: 8, hiddenSizes: [64, 64], activation: .tanh, head: head))
        let small = try #require(ImageLayout(shape: [10, 10, 4], offset: 0, high: 1))
        #expect(try NetworkSpec.choose(observationSize: 400, images: [small], head: head, config: config).body == flat.body,
                "an image under 36×36 is flattened into the MLPs")
        let planes = try #require(ImageLayout(shape: [40, 40, 2], offset: 0, high: 1))
        #expect(try NetworkSpec.choose(observationSize: 3_200, images: [planes], head: head, config: config).body == flat.body,
                "0/1 planes of any size are flattened unless convolutions are asked for")
        let nature = try NetworkSpec.choose(observationSize: 28_224 + 3, images: [Self.pixels], head: head, config: config)
        #expect(nature.body == .convolutional(image: Self.pixels, convolutions: NetworkSpec.natureConvolutions, hidden: 512))
        config.convolutions = [.init(outChannels: 16, kernel: 3, stride: 1)]
        config.sharedHiddenSize = 128
        let minAtar = try NetworkSpec.choose(observationSize: 400, images: [small], head: head, config: config)
        #expect(minAtar.body == .convolutional(image: small, convolutions: config.convolutions ?? [], hidden: 128))
        #expect(minAtar.parameterCount == 16 * 4 * 9 + 16 + (16 * 8 * 8) * 128 + 128 + 128 * 6 + 6 + 128 + 1)

        #expect(throws: NetworkSpecError.self) { try NetworkSpec.choose(observationSize: 8, images: [], head: head, config: config) }
        let other = ImageLayout(offset: 28_224, height: 40, width: 40, channels: 1, channelsFirst: false, scale: 1 / 255)
        let error = #expect(throws: NetworkSpecError.self) {
            try NetworkSpec.choose(observationSize: 28_224 + 1_600, images: [Self.pixels, other], head: head, config: .default)
        }
        #expect(error?.description.contains("FilterObservation") == true)
        var huge = PPOConfig.default
        huge.minibatchSize = 1 << 20
        let batches = #expect(throws: NetworkSpecError.self) {
            try NetworkSpec.choose(observationSize: 28_224, images: [Self.pixels], head: head, config: huge)
        }
        #expect(batches?.description.contains("use minibatches of at most") == true)
        config.convolutions = [.init(outChannels: 8, kernel: 11, stride: 1)]
        let tooLarge = #expect(throws: NetworkSpecError.self) {
            try NetworkSpec.choose(observationSize: 400, images: [small], head: head, config: config)
        }
        #expect(tooLarge?.description.contains("does not fit its input of 10×10") == true)
    }

    @Test("the description's parameter count is the built network's, for both bodies and every head", arguments: [
        PolicyHead.categorical(segments: [4]), .categorical(segments: [3, 2]), .gaussian(dimension: 3), .bernoulli(count: 5),
    ])
    func parameterCounts(head: PolicyHead) {
        let image = ImageLayout(offset: 3, height: 40, width: 44, channels: 2, channelsFirst: true, scale: 1 / 255)
        for spec in [
            NetworkSpec.separate(observationSize: 7, hiddenSizes: [16, 8], activation: .relu, head: head),
            NetworkSpec(observationSize: 3 + 3_520 + 2, body: .convolutional(image: image, convolutions: NetworkSpec.natureConvolutions, hidden: 32), head: head),
        ] {
            var rng = RNG(seed: 1)
            let network = spec.makeNetwork(initialization: .orthogonal, initialLogStd: -0.5, rng: &rng)
            #expect(network.parameterCount == spec.parameterCount)
            #expect(network.spec == spec)
            #expect(spec.problem == nil)
        }
    }

    @Test("the Nature CNN's step costs 9.35 M multiply-adds a sample forward, twice that less the first layer's backward")
    func flops() {
        let spec = NetworkSpec(observationSize: 28_224, body: .convolutional(image: Self.pixels, convolutions: NetworkSpec.natureConvolutions, hidden: 512),
                               head: .categorical(segments: [6]))
        let conv1: Double = 3_276_800  // 32 × (4 · 8 · 8) × 20 · 20
        let rest: Double = 2_654_208 + 1_806_336 + 1_605_632 + 3_584  // 64 × 32·16 × 9·9, 64 × 64·9 × 7·7, 3136 × 512, 512 × 7
        #expect(spec.flops.forward == 2 * (conv1 + rest) && spec.flops.forward == 18_693_120)
        #expect(spec.flops.backward == 2 * (2 * (conv1 + rest) - conv1))
    }

    @Test("a description that cannot be built, or would overflow its count, is refused before anything is sized by it")
    func problems() {
        let head = PolicyHead.categorical(segments: [2])
        func conv(_ image: ImageLayout, _ convolutions: [ConvolutionalActorCritic.Convolution], observationSize: Int = 28_224) -> NetworkSpec {
            NetworkSpec(observationSize: observationSize, body: .convolutional(image: image, convolutions: convolutions, hidden: 64), head: head)
        }
        #expect(conv(Self.pixels, NetworkSpec.natureConvolutions).problem == nil)
        #expect(conv(Self.pixels, NetworkSpec.natureConvolutions, observationSize: 28_223).problem?.contains("does not fit in an observation") == true)
        #expect(conv(Self.pixels, []).problem != nil)
        #expect(conv(Self.pixels, [.init(outChannels: 8, kernel: 85, stride: 1)]).problem?.contains("does not fit its input") == true)
        var huge = Self.pixels
        huge.channels = 65_536
        #expect(conv(huge, NetworkSpec.natureConvolutions, observationSize: Int.max / 2).problem != nil)
        let large = ImageLayout(offset: 0, height: 255, width: 255, channels: 1, channelsFirst: false, scale: 1)
        let activations = conv(large, [.init(outChannels: 65_536, kernel: 1, stride: 1), .init(outChannels: 1, kernel: 1, stride: 1)],
                               observationSize: 65_025)
        #expect(activations.parameterCount < 16_777_216, "few enough parameters for a Weights frame…")
        #expect(activations.problem?.contains("values a sample") == true, "…but 4 G activations a sample")
        #expect(conv(Self.pixels, [.init(outChannels: 32, kernel: 42, stride: 1)]).problem?.contains("unfolds more than") == true,
                "58k activations, few parameters, but 13 M unfolded values a sample")
        let tiny = ImageLayout(offset: 0, height: 84, width: 84, channels: 4, channelsFirst: true, scale: .leastNonzeroMagnitude)
        #expect(conv(tiny, NetworkSpec.natureConvolutions).problem == nil && tiny.description.contains("scaled by"))
        let offset = ImageLayout(offset: .max, height: 2, width: 2, channels: 1, channelsFirst: false, scale: 1)
        #expect(conv(offset, [.init(outChannels: 1, kernel: 1, stride: 1)]).problem?.contains("does not fit in an observation") == true)
        var segments = conv(Self.pixels, NetworkSpec.natureConvolutions)
        segments.head = .categorical(segments: [.max, 1])
        #expect(segments.problem?.contains("policy head") == true)
        let deep = NetworkSpec.separate(observationSize: 4, hiddenSizes: Array(repeating: 1 << 24, count: 40_000), activation: .tanh, head: head)
        #expect(deep.problem?.contains("hidden sizes") == true)
        let wide = ImageLayout(offset: 0, height: 65_536, width: 65_536, channels: 65_536, channelsFirst: true, scale: 1)
        #expect(conv(wide, [.init(outChannels: 65_536, kernel: 65_536, stride: 1)], observationSize: Int.max).problem != nil)
    }

    @Test("a convolutional network's update from flat observations (a vector, then a channels-last board) is the reference step, on one thread and on two",
          arguments: [1, 2])
    func sharedTrunkUpdateFromFlatObservations(threads: Int) throws {
        let file = "ppo_dict_multidiscrete_case.json"
        let reference = try Reference.load(file)
        let (direct, _) = try ConvolutionalUpdateReferenceTests.model(reference)
        let c = try ConvolutionalUpdateReferenceTests.Case(file, reference)
        let network = try #require(reference["network"] as? [String: Any])
        let batch = try #require(reference["batch"] as? [String: Any])
        let boards = flatFloats(batch["image"])  // (8, 10, 10, 4), channels last
        let vectorSize = try #require(network["vector_dim"] as? Int), boardSize = 400
        var flat: [Float] = []
        for b in 0..<c.count {
            flat += c.vectors[(b * vectorSize)..<((b + 1) * vectorSize)]
            flat += boards[(b * boardSize)..<((b + 1) * boardSize)]
        }
        let image = ImageLayout(offset: vectorSize, height: 10, width: 10, channels: 4, channelsFirst: false, scale: 1)
        // The reference joins the vector after the board's features; so does the network, whatever its offset.
        let spec = NetworkSpec(observationSize: vectorSize + boardSize, body: .convolutional(
            image: image, convolutions: [.init(outChannels: 6, kernel: 3, stride: 1)], hidden: 16), head: .categorical(segments: [3, 2]))
        let model = ConvolutionalActorCritic(spec: spec)
        for (p, q) in zip(model.parameters, direct.parameters) { p.values = q.values }
        var config = PPOConfig.default
        (config.clipCoef, config.valueClipCoef, config.valueCoef, config.entropyCoef) = (0.1, 0.1, 0.5, 0.01)
        (config.maxGradNorm, config.learningRate, config.adamEps) = (0.5, 2.5e-4, 1e-5)
        let updater = makeUpdater(for: model, config: config, threads: threads)
        #expect((updater as? SharedTrunkUpdater)?.threads == threads)
        var advantages = c.advantages
        Statistics.standardize(&advantages, count: c.count)
        let (loss, _) = flat.withUnsafeBufferPointer { o in
            c.actions.withUnsafeBufferPointer { a in
                updater.minibatchStep(
                    observations: o.baseAddress!, actions: a.baseAddress!, oldLogProbs: c.oldLogProbs, advantages: advantages,
                    returns: c.returns, oldValues: c.oldValues, count: c.count)
            }
        }
        let step1 = try #require((reference["expected_float32"] as? [String: Any])?["step1"] as? [String: Any])
        expectClose([loss.totalLoss], [try #require(step1["loss"] as? Double)], "loss")
        let after = try #require(step1["params_after"] as? [String: Any])
        for p in model.parameters { expectClose(p.values, flatDoubles(after[p.name]), "\(p.name) after") }
    }

    @Test("a convolutional network acts on flat observations: valid actions, greedy ones the logits' argmax, values finite")
    func acts() {
        let image = ImageLayout(offset: 0, height: 36, width: 36, channels: 1, channelsFirst: false, scale: 1 / 255)
        let spec = NetworkSpec(observationSize: 36 * 36 + 2, body: .convolutional(
            image: image, convolutions: NetworkSpec.natureConvolutions, hidden: 32), head: .categorical(segments: [2]))
        var rng = RNG(seed: 4)
        let network = spec.makeNetwork(initialization: .orthogonal, initialLogStd: 0, rng: &rng)
        let observation = (0..<spec.observationSize).map { Float($0 % 256) }
        var seen = Set<Float>()
        for _ in 0..<50 {
            let (action, logProb, value) = network.act(observation, rng: &rng)
            seen.insert(action[0])
            #expect(logProb < 0 && logProb.isFinite && value.isFinite)
        }
        #expect(seen == [0, 1], "an initial policy near uniform samples both actions")
        let greedy = network.act(observation, deterministic: true, rng: &rng)
        let conv = network as? ConvolutionalActorCritic
        let logits = observation.withUnsafeBufferPointer { conv?.forward(flat: $0.baseAddress!, batch: 1).outputs }
        #expect(greedy.action[0] == ((logits?[1] ?? 0) > (logits?[0] ?? 0) ? 1 : 0))
    }
}

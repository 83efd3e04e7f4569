import Testing
@testable import PPOCore
import TestSupport

@Suite("Spaces and their policy heads", .offThePool)
struct SpaceTests {
    @Test("MultiDiscrete and MultiBinary: one value per component, each a whole number within its own range")
    func indexSpaces() {
        let choices = Space.multiDiscrete([2, 3, 5])
        #expect(choices.flatSize == 3 && choices.isDiscrete)
        #expect((0..<3).map { choices.choices(at: $0) } == [2, 3, 5])
        #expect(choices.contains([1, 2, 4]) && choices.contains([0, 0, 0]))
        #expect(!choices.contains([2, 0, 0]) && !choices.contains([0, 3, 0]) && !choices.contains([0, 0, 5]))
        #expect(!choices.contains([0.5, 0, 0]) && !choices.contains([-1, 0, 0]) && !choices.contains([.nan, 0, 0]))
        #expect(!choices.contains([1, 2]) && !choices.contains([1, 2, 4, 0]))
        let bits = Space.multiBinary(4)
        #expect(bits.flatSize == 4 && bits.isDiscrete && bits.choices(at: 3) == 2)
        #expect(bits.contains([0, 1, 1, 0]) && !bits.contains([0, 2, 1, 0]) && !bits.contains([0, 1, 1]))
        #expect(!Space.box(low: [-1], high: [1]).isDiscrete && Space.box(low: [-1], high: [1]).choices(at: 0) == nil)
        #expect(choices.description == "MultiDiscrete([2, 3, 5])" && bits.description == "MultiBinary(4)")
    }

    @Test("each space gets its head: Discrete one segment, MultiDiscrete one per component, Box a Gaussian, MultiBinary Bernoullis")
    func heads() {
        #expect(PolicyHead(.discrete(4)) == .categorical(segments: [4]))
        #expect(PolicyHead(.multiDiscrete([2, 3])) == .categorical(segments: [2, 3]))
        #expect(PolicyHead(.box(low: [-1, -1], high: [1, 1])) == .gaussian(dimension: 2))
        #expect(PolicyHead(.multiBinary(3)) == .bernoulli(count: 3))
        for space in [Space.discrete(4), .multiDiscrete([2, 3]), .box(low: [-1, -1], high: [1, 1]), .multiBinary(3)] {
            #expect(PolicyHead(space).actionSize == space.flatSize, "\(space)")
        }
    }

    @Test("the parameter count without a network equals the network's, for every head", arguments: [
        Space.discrete(3), .multiDiscrete([2, 3, 4]), .box(low: [-1, -1], high: [1, 1]), .multiBinary(5),
    ])
    func parameterCount(space: Space) {
        var rng = RNG(seed: 3)
        let model = ActorCritic(observationSize: 6, head: PolicyHead(space), hiddenSizes: [16, 8], activation: .tanh,
                                initialization: .orthogonal, rng: &rng)
        #expect(ActorCritic.parameterCount(observationSize: 6, hiddenSizes: [16, 8], head: PolicyHead(space)) == model.parameterCount)
    }

    @Test("a MultiDiscrete model acts with one valid index per component; greedy actions are each segment's argmax")
    func multiDiscreteActs() {
        var rng = RNG(seed: 5)
        let space = Space.multiDiscrete([2, 3])
        let model = ActorCritic(observationSize: 3, head: PolicyHead(space), hiddenSizes: [8], activation: .tanh,
                                initialization: .orthogonal, rng: &rng)
        for _ in 0..<200 {
            let x = [Float(rng.uniform(-1, 1)), Float(rng.uniform(-1, 1)), Float(rng.uniform(-1, 1))]
            #expect(space.contains(model.act(x, deterministic: false, rng: &rng).action))
            #expect(space.contains(model.act(x, deterministic: true, rng: &rng).action))
        }
    }
}

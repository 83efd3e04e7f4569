import NIOCore
import PPOCore
import Testing
@testable import Wire

/// `PPOConfig.problems()` and the Welcome decoder enforce the same bounds: a config that passes can be served to
/// every worker, and one the decoder would refuse never starts.
@Suite("Config bounds agree with the Welcome decoder")
struct ConfigBoundsTests {
    static func welcome(_ c: PPOConfig) -> Message {
        var w = Welcome(
            version: 3, runID: "run", envID: "CartPole-v1", policyVersion: 0, seed: 1, maxUnackedBatches: 4,
            heartbeatIntervalMilliseconds: 5000, activation: c.activation, hiddenSizes: c.hiddenSizes, observationSize: 4,
            head: .categorical(segments: [2]), parameterCount: 0, observationClip: c.observationClip, normalizeRewards: c.normalizeRewards,
            gamma: c.gamma, rewardClip: c.rewardClip, envSignature: 1)
        w.parameterCount = w.impliedParameterCount
        return .welcome(w)
    }

    static func decodes(_ m: Message) -> Bool {
        var buffer = Frame.encode(m)
        return (try? Frame.decode(from: &buffer, limits: .default)) != nil
    }

    static func changed(_ change: (inout PPOConfig) -> Void) -> PPOConfig {
        var c = PPOConfig.default
        change(&c)
        return c
    }

    static let refused: [(String, PPOConfig)] = [
        ("observation_clip 0", changed { $0.observationClip = 0 }),
        ("observation_clip -1", changed { $0.observationClip = -1 }),
        ("observation_clip inf", changed { $0.observationClip = .infinity }),
        ("reward_clip 0", changed { $0.rewardClip = 0 }),
        ("17 hidden layers", changed { $0.hiddenSizes = Array(repeating: 4, count: 17) }),
        ("no hidden layer", changed { $0.hiddenSizes = [] }),
        ("width 65537", changed { $0.hiddenSizes = [65537] }),
        ("gamma 1.01", changed { $0.gamma = 1.01 }),
    ]

    @Test("each config the Welcome decoder refuses is refused by problems() first", arguments: refused)
    func bounds(name: String, config: PPOConfig) {
        #expect(!config.problems().isEmpty, "\(name) passes problems()")
        #expect(!Self.decodes(Self.welcome(config)), "\(name) decodes in a Welcome")
    }

    @Test("the largest config problems() accepts decodes: 16 layers, tiny clips, gamma 0 and 1")
    func edges() {
        var c = PPOConfig.default
        c.hiddenSizes = Array(repeating: 2, count: 16)
        c.observationClip = 1e-6
        c.rewardClip = 1e-6
        for gamma in [0.0, 1.0] {
            c.gamma = gamma
            #expect(c.problems().isEmpty, "\(c.problems())")
            #expect(Self.decodes(Self.welcome(c)))
        }
    }
}

import Environments
import Foundation
import PPOCore
import Testing
import TestSupport
@testable import GymBridge

/// The hello's `images` (BRIDGE.md §1.3), read into the env's spec: what a convolutional network may read of the
/// observation. A bridge that says anything else of them is a protocol violation, before a network is sized by it.
@Suite("The bridge hello's images")
struct BridgeHelloTests {
    static func hello(images: Any?, observationSize: Int = 1_298) -> [String: Any] {
        var hello: [String: Any] = [
            "ok": true, "bridge": 1, "env_id": "ppo_test_envs:BrightSide-v0",
            "observation": ["kind": "box", "low": Array(repeating: 0.0, count: observationSize), "high": Array(repeating: 255.0, count: observationSize)],
            "action": ["kind": "discrete", "n": 2], "max_episode_steps": 16,
        ]
        if let images { hello["images"] = images }
        return hello
    }

    static func spec(_ hello: [String: Any]) throws(EnvironmentError) -> EnvironmentSpec {
        try BridgeHello.spec(from: hello, selection: EnvironmentSelection(id: "gym:ppo_test_envs:BrightSide-v0"))
    }

    @Test("each image becomes its layout (the channel axis the smallest); none, or an empty list, is no image")
    func layouts() throws {
        let spec = try Self.spec(Self.hello(images: [["offset": 0, "shape": [36, 36, 1], "high": 255], ["offset": 1_296, "shape": [1, 2], "high": 1]]))
        #expect(spec.images == [
            ImageLayout(offset: 0, height: 36, width: 36, channels: 1, channelsFirst: false, scale: 1 / 255),
            ImageLayout(offset: 1_296, height: 1, width: 2, channels: 1, channelsFirst: false, scale: 1),
        ])
        #expect(try Self.spec(Self.hello(images: nil)).images.isEmpty)
        #expect(try Self.spec(Self.hello(images: [Any]())).images.isEmpty)
    }

    @Test("an image outside the observation, overlapping another, of 1 or 4 axes, of another largest value, or not a list is refused", arguments: [
        #"[{"offset": 3, "shape": [36, 36, 1], "high": 255}]"#, #"[{"offset": 0, "shape": [36, 36], "high": 255}, {"offset": 1000, "shape": [2, 2], "high": 255}]"#,
        #"[{"offset": 0, "shape": [1296], "high": 255}]"#, #"[{"offset": 0, "shape": [6, 6, 6, 6], "high": 255}]"#,
        #"[{"offset": 0, "shape": [36, 36], "high": 7}]"#, #"[{"offset": -1, "shape": [2, 2], "high": 255}]"#, #"[{"offset": 0, "shape": [2, 2]}]"#,
        #""image""#,
    ])
    func refusals(json: String) throws {
        let images = try JSONSerialization.jsonObject(with: Data(json.utf8), options: .fragmentsAllowed)
        #expect {
            _ = try Self.spec(Self.hello(images: images))
        } throws: { error in
            "\(error)".contains("the hello's images must be a list of {offset, shape, high} inside the observation")
        }
    }
}

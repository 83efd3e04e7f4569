import Foundation
import Testing

@Suite("ppo envs (real process)")
struct EnvsCommandTests {
    @Test("ppo envs --json lists every native environment, infinite bounds as \"inf\"; the text says how to name a Gymnasium one")
    func listing() async throws {
        let json = try Spawned("ppo", ["envs", "--json"], name: "envs")
        #expect(await json.waitForExit(timeout: 30) == 0, "\(json.stderr)")
        let list = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [[String: Any]])
        #expect(list.compactMap { $0["id"] as? String } == ["CartPole-v1", "Acrobot-v1", "MountainCar-v0", "MountainCarContinuous-v0", "Pendulum-v1"])
        let cartPole = try #require(list.first?["observation"] as? [String: Any])
        #expect((cartPole["high"] as? [Any])?.count == 4 && (cartPole["high"] as? [Any])?[1] as? String == "inf")
        #expect((cartPole["high"] as? [Any])?[0] as? Double == 4.8)
        let text = try Spawned("ppo", ["envs"], name: "envs-text")
        #expect(await text.waitForExit(timeout: 30) == 0)
        #expect(text.stdout.contains("gym:ID") && text.stdout.contains("gym:HalfCheetah-v5"))
    }
}

import Foundation
import Testing

@Suite("ppo presets (real process)")
struct PresetsCommandTests {
    @Test("ppo presets NAME --env-args prints the preset's gymnasium.make arguments as one JSON object, {} for none")
    func environmentArguments() async throws {
        let ant = try Spawned("ppo", ["presets", "Ant-v5", "--env-args"], name: "presets-ant")
        #expect(await ant.waitForExit(timeout: 30) == 0, "\(ant.stderr)")
        #expect(ant.stdout == #"{"include_cfrc_ext_in_observation":false}"# + "\n")
        let cheetah = try Spawned("ppo", ["presets", "HalfCheetah-v5", "--env-args"], name: "presets-cheetah")
        #expect(await cheetah.waitForExit(timeout: 30) == 0, "\(cheetah.stderr)")
        #expect(cheetah.stdout == "{}\n")
        let unnamed = try Spawned("ppo", ["presets", "--env-args"], name: "presets-unnamed")
        #expect(await unnamed.waitForExit(timeout: 30) != 0)
        #expect(unnamed.stderr.contains("needs a preset name"))
        let unknown = try Spawned("ppo", ["presets", "Nope-v0", "--env-args"], name: "presets-unknown")
        #expect(await unknown.waitForExit(timeout: 30) != 0)
        #expect(unknown.stderr.contains("Nope-v0"))
    }
}

import Environments
import Foundation
import PPOCore
import Testing
import TestSupport
@testable import Training

/// A run's registrations and wrappers: from a preset's `register:` and `wrappers:`, `--set`, and the command line's
/// flags after them; kept in the checkpoint, which a run resumes and evaluates with.
@Suite("Environment setup of a run", .offThePool)
struct EnvironmentSetupRunTests {
    static let yaml = """
        env: gym:MiniGrid-DoorKey-5x5-v0
        register: [minigrid:register_minigrid_envs]
        wrappers:
          - class: minigrid.wrappers:ImgObsWrapper
          - class: gymnasium.wrappers:TimeLimit
            kwargs: {max_episode_steps: 100, scale: 1.0}
        """

    @Test("a preset's register and wrappers lists, in order, each wrapper with its own kwargs (a float kept a float)")
    func preset() throws {
        let run = try RunConfiguration.parse(yaml: Self.yaml, source: "doorkey.yaml")
        #expect(run.envSetup.registrations == ["minigrid:register_minigrid_envs"])
        #expect(run.envSetup.wrappers == [
            EnvironmentSetup.Wrapper(path: "minigrid.wrappers:ImgObsWrapper"),
            EnvironmentSetup.Wrapper(path: "gymnasium.wrappers:TimeLimit", arguments: #"{"max_episode_steps":100,"scale":1.0}"#),
        ])
        #expect(run.environment.setup == run.envSetup)
        // A wrapper without its class, or a path that is not module:Class, is named as the setting's error.
        #expect { try RunConfiguration.parse(yaml: "env: gym:X-v0\nwrappers: [{kwargs: {a: 1}}]\n", source: "bad.yaml") } throws: {
            "\($0)".contains("wrappers")
        }
        #expect { try RunConfiguration.parse(yaml: "env: gym:X-v0\nwrappers: [{class: not-a-path}]\n", source: "bad.yaml") } throws: {
            "\($0)".contains("module:Class")
        }
    }

    @Test("--env-register and --env-wrapper come after the preset's own; --set wrappers replaces the preset's list, and the flags still add to it; a native env refuses them")
    func flagsAfterPreset() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("setup-\(UUID().uuidString).yaml")
        try Self.yaml.write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        let flags = EnvironmentSetup(registrations: ["my_envs:register"], wrappers: [EnvironmentSetup.Wrapper(path: "my_envs.wrappers:Crop")])
        let run = try RunConfiguration.resolve(env: nil, config: file.path, steps: nil, overrides: [], setup: flags)
        #expect(run.envSetup.registrations == ["minigrid:register_minigrid_envs", "my_envs:register"])
        #expect(run.envSetup.wrappers.map(\.path) == ["minigrid.wrappers:ImgObsWrapper", "gymnasium.wrappers:TimeLimit", "my_envs.wrappers:Crop"])
        let replaced = try RunConfiguration.resolve(env: nil, config: file.path, steps: nil,
                                                    overrides: ["wrappers=[{class: gymnasium.wrappers:FlattenObservation}]"])
        #expect(replaced.envSetup.wrappers == [EnvironmentSetup.Wrapper(path: "gymnasium.wrappers:FlattenObservation")])
        // The flags add to whatever list --set left.
        let both = try RunConfiguration.resolve(env: nil, config: file.path, steps: nil,
                                                overrides: ["wrappers=[{class: gymnasium.wrappers:FlattenObservation}]"], setup: flags)
        #expect(both.envSetup.wrappers.map(\.path) == ["gymnasium.wrappers:FlattenObservation", "my_envs.wrappers:Crop"])
        #expect(throws: ConfigurationError.self) {
            try RunConfiguration.resolve(env: "CartPole-v1", config: nil, steps: nil, overrides: [], setup: flags)
        }
    }

    @Test("the checkpoint keeps the setup (env_setup) and gives it back in its environment; one without it has none; a setup that cannot be read is refused")
    func checkpoint() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("setup-ckpt-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let trainer = Trainer(observationSize: 4, actionSpace: .discrete(2), config: .default, seed: 1)
        let setup = try RunConfiguration.parse(yaml: Self.yaml, source: "doorkey.yaml").envSetup
        let url = dir.appendingPathComponent("with.safetensors")
        try Checkpoint(trainer: trainer, envID: "gym:MiniGrid-DoorKey-5x5-v0", envSetup: setup, envSteps: 0).write(to: url)
        let read = try Checkpoint.read(from: url)
        #expect(read.envSetup == setup && read.environment.setup == setup)

        let plain = dir.appendingPathComponent("without.safetensors")
        try Checkpoint(trainer: trainer, envID: "gym:CartPole-v1", envSteps: 0).write(to: plain)
        #expect(try Checkpoint.read(from: plain).envSetup == .none)

        let bad = dir.appendingPathComponent("bad.safetensors")
        try Checkpoint(trainer: trainer, envID: "gym:X-v0", envSetup: EnvironmentSetup(registrations: ["no colon"]), envSteps: 0).write(to: bad)
        #expect { try Checkpoint.read(from: bad) } throws: { "\($0)".contains("env_setup") }
    }
}

import ArgumentParser
import CommandSupport
import Foundation
import Training

struct Eval: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Evaluate a checkpoint: deterministic episodes (most probable action / Gaussian mean).",
        discussion: "The environment (and, for gym:ID, its gymnasium.make arguments) comes from the checkpoint; gym: environments are stepped by --python.")

    @Option(help: "A checkpoint.safetensors written by `ppo train` or `ppo-learner`, or the run's folder that holds it.")
    var checkpoint: String

    @Option(help: "Number of episodes.")
    var episodes = 20

    @Option(help: "Seed of the environments' initial states. `ppo train` evaluates its final policy with its --seed + 1000000; give that number to get the same figure.")
    var seed: UInt64 = 0

    @Flag(help: "Print the result as JSON.")
    var json = false

    @Flag(help: "Take the run's best evaluated policy (best.safetensors, kept by ppo train --eval-every) instead of its last checkpoint.")
    var best = false

    @Option(help: ArgumentHelp(
        "Write every step as a JSON line: the env's raw observation, the action taken (the most probable one, or the Gaussian mean before the env clips it) and V(s) — to compare an exported model with the trained policy (Deploy/onnx_policy.py compare).",
        valueName: "file"))
    var record: String?

    @Option(help: ArgumentHelp(
        "Write the first --video-episodes episodes as animated GIFs (DIR/episode-N.gif), which any browser plays: the classic-control envs, native or gym:, drawn from their observations; any other gym: env rendered by Gymnasium (render_mode=\"rgb_array\"; MuJoCo through EGL, MUJOCO_GL=egl by default).",
        valueName: "dir"))
    var video: String?

    @Option(help: "Episodes --video records.")
    var videoEpisodes = 1

    @OptionGroup var bridgeFlags: BridgeFlags

    func validate() throws {
        guard episodes > 0 else { throw ValidationError("--episodes must be positive") }
        if let record, record.isEmpty { throw ValidationError("--record needs a file name") }
        if let video, video.isEmpty { throw ValidationError("--video needs a folder") }
        guard videoEpisodes > 0 else { throw ValidationError("--video-episodes must be positive") }
    }

    func run() throws {
        let cp = try PeriodicEvaluation.checkpoint(named: URL(fileURLWithPath: checkpoint), best: best)
        var recording = EvaluationRecording()
        var movie = try video.map { _ in try EpisodeVideo(envID: cp.envID, episodes: videoEpisodes) }
        let wanted = record != nil || movie != nil
        let frames = movie?.needsRenderedFrames == true
            ? EvaluationResult.FrameSink(episodes: videoEpisodes) { episode, frame in movie?.add(episode: episode, frame: frame) } : nil
        let result = try EvaluationResult.run(
            checkpoint: cp, episodes: episodes, seed: seed, bridge: bridgeFlags.options,
            record: !wanted ? nil : { step in
                if record != nil { try recording.append(step) }
                movie?.add(step)
            }, frames: frames)
        if let record {
            try recording.write(to: URL(fileURLWithPath: record))
            FileHandle.standardError.write(Data("recorded \(recording.count) steps to \(record)\n".utf8))
        }
        if let video, let movie {
            for file in try movie.write(to: URL(fileURLWithPath: video)) {
                FileHandle.standardError.write(Data("video: \(file.url.path) (\(file.frames) frames, \(file.bytes) bytes)\n".utf8))
            }
        }
        if json {
            print(try ConsoleOutput.json(result))
        } else {
            print(String(format: "%@ (policy version %llu): %.2f ± %.2f over %d episodes (min %.1f, max %.1f)",
                         result.envID, cp.version, result.mean, result.std, result.episodes,
                         result.returns.min() ?? .nan, result.returns.max() ?? .nan))
        }
    }
}

struct PresetsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "presets", abstract: "List the shipped hyper-parameter presets, or print one.")

    @Argument(help: "A preset to print (omit to list them).")
    var name: String?

    @Flag(help: "Print only the preset's env_args (gymnasium.make keyword arguments) as one JSON object, {} for none, e.g. for scripts that make the same environment in Python.")
    var envArgs = false

    func validate() throws {
        if envArgs, name == nil { throw ValidationError("--env-args needs a preset name, e.g. ppo presets Ant-v5 --env-args") }
    }

    func run() throws {
        guard let name else {
            print(Presets.names.joined(separator: "\n"))
            return
        }
        if envArgs {
            let run: RunConfiguration
            do { run = try Presets.load(name) } catch { throw CommandError("\(error)") }
            print(run.environment.argumentsObject)
            return
        }
        guard let dir = Presets.directory else { throw CommandError("the shipped presets were not found next to the executable") }
        let url = dir.appendingPathComponent("\(name).yaml")
        guard let text = try? String(contentsOf: url, encoding: .utf8) else {
            throw CommandError("no preset named '\(name)'; the presets are: \(Presets.names.joined(separator: ", "))")
        }
        print(text, terminator: "")
    }
}

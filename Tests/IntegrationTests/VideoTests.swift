import Foundation
import Testing

/// `ppo eval --video` on trained checkpoints, the GIFs decoded back by Pillow (a decoder that is not ours).
@Suite("Videos of evaluations (real processes, Pillow)", .enabled(if: GymPython.required || GymPython.imports("PIL")))
struct VideoTests {
    @Test("CartPole-v1 and gym:CartPole-v1 drawn, gym:ppo_test_envs:Sign-v0 rendered by Gymnasium: one GIF per recorded episode, a frame per step at the env's size, frames that are not blank and move",
          .timeLimit(.minutes(10)))
    func cartPole() async throws {
        for (env, size) in [("CartPole-v1", [600, 400]), ("gym:CartPole-v1", [600, 400]), ("gym:ppo_test_envs:Sign-v0", [12, 8])] {
            let dir = temporaryDirectory("video")
            defer { try? FileManager.default.removeItem(at: dir) }
            let train = try Spawned("ppo", ["train", "--env", env, "--workers", "0", "--steps", "2048", "--out", dir.path, "--eval-episodes", "0",
                                            "--quiet", "--python", GymPython.path], name: "video-train", environment: GymPython.environment)
            try #require(await train.waitForExit(timeout: 300) == 0, "\(train.stderr.suffix(1000))")
            let video = dir.appendingPathComponent("video")
            let eval = try Spawned("ppo", ["eval", "--checkpoint", dir.path, "--episodes", "2", "--video", video.path, "--video-episodes", "2",
                                           "--json", "--python", GymPython.path], name: "video-eval", environment: GymPython.environment)
            try #require(await eval.waitForExit(timeout: 300) == 0, "\(eval.stderr.suffix(1000))")
            struct Result: Decodable { var lengths: [Int] }
            let lengths = try JSONDecoder().decode(Result.self, from: Data(eval.stdout.utf8)).lengths
            #expect(try FileManager.default.contentsOfDirectory(atPath: video.path).sorted() == ["episode-0.gif", "episode-1.gif"])
            let script = """
                import json, sys
                from PIL import Image
                out = []
                for path in sys.argv[1:]:
                    im = Image.open(path)
                    frames = [im.seek(i) or im.convert("RGB").tobytes() for i in range(im.n_frames)]
                    out.append({"size": list(im.size), "frames": im.n_frames, "colours": min(len(set(f)) for f in frames),
                                "distinct": len(set(frames))})
                print(json.dumps(out))
                """
            let decode = try Spawned(url: URL(fileURLWithPath: GymPython.path), ["-c", script, video.appendingPathComponent("episode-0.gif").path,
                                                                                 video.appendingPathComponent("episode-1.gif").path], name: "video-decode")
            try #require(await decode.waitForExit(timeout: 120) == 0, "\(decode.stderr.suffix(1000))")
            struct Decoded: Decodable { var size: [Int]; var frames: Int; var colours: Int; var distinct: Int }
            let decoded = try JSONDecoder().decode([Decoded].self, from: Data(decode.stdout.utf8))
            for (i, gif) in decoded.enumerated() {
                #expect(gif.size == size && gif.frames == lengths[i], "\(env) episode \(i): \(gif), length \(lengths[i])")
                #expect(gif.colours > 1 && gif.distinct > 1, "\(env) episode \(i) is blank or still")
            }
        }
    }
}

import Foundation
import Rendering

/// `ppo eval --video DIR`: the first episodes of an evaluation as animated GIFs, `episode-N.gif`, one frame per
/// observation the policy acted on, at the env's own frame rate. Envs drawn: the classic-control ones, native or
/// `gym:` (`ClassicControlRenderer`).
public struct EpisodeVideo {
    public let envID: String
    public let episodes: Int
    private var encoders: [Int: GIFEncoder] = [:]

    /// Why a video cannot be made.
    public struct Unsupported: Error, CustomStringConvertible {
        public let envID: String
        public var description: String {
            "\(envID) cannot be drawn: videos are made for the classic-control envs (CartPole-v1, Acrobot-v1, MountainCar-v0, MountainCarContinuous-v0, Pendulum-v1, native or gym:)"
        }
    }

    /// Records the first `episodes` episodes of `envID`.
    public init(envID: String, episodes: Int) throws(Unsupported) {
        guard ClassicControlRenderer.canRender(envID) else { throw Unsupported(envID: envID) }
        self.envID = envID
        self.episodes = episodes
    }

    /// Adds the frame of one evaluation step (ignored past the episodes recorded).
    public mutating func add(_ step: EvaluationStep) {
        guard step.episode < episodes, let frame = ClassicControlRenderer.draw(envID, observation: step.observation) else { return }
        if encoders[step.episode] == nil {
            let delay = max(2, Int((100.0 / Double(ClassicControlRenderer.framesPerSecond(envID))).rounded()))
            encoders[step.episode] = GIFEncoder(width: frame.width, height: frame.height, palette: ClassicControlRenderer.palette, delay: delay)
        }
        encoders[step.episode]?.add(frame: frame.pixels)
    }

    /// Writes `episode-N.gif` for each recorded episode into `directory`; the files written and their frames.
    public func write(to directory: URL) throws(AtomicFile.Failure) -> [(url: URL, frames: Int, bytes: Int)] {
        var written: [(URL, Int, Int)] = []
        for episode in encoders.keys.sorted() {
            guard let encoder = encoders[episode] else { continue }
            let url = directory.appendingPathComponent("episode-\(episode).gif")
            let file = encoder.file
            try AtomicFile.write(Data(file), to: url)
            written.append((url, encoder.frames, file.count))
        }
        return written
    }
}

import Environments
import Foundation
import Rendering

/// `ppo eval --video DIR`: the first episodes of an evaluation as animated GIFs, `episode-N.gif`, one frame per
/// observation the policy acted on. The classic-control envs, native or `gym:`, are drawn here from their
/// observations (`ClassicControlRenderer`, at the env's frame rate); any other `gym:` env is rendered by Gymnasium
/// itself in the bridge (`render_mode="rgb_array"`), its frames shrunk to at most 320 pixels a side and quantised to
/// the 216 colours of the 6×6×6 web palette, at 30 frames a second.
public struct EpisodeVideo {
    public let envID: String
    public let episodes: Int
    /// Whether the frames come from the env's own renderer (`add(episode:frame:)`) rather than from observations.
    public let needsRenderedFrames: Bool
    private var encoders: [Int: GIFEncoder] = [:]

    /// Why a video cannot be made.
    public struct Unsupported: Error, CustomStringConvertible {
        public let envID: String
        public var description: String {
            "\(envID) cannot be drawn: videos are made of the classic-control envs and of gym: envs that render rgb_array frames"
        }
    }

    /// Records the first `episodes` episodes of `envID`.
    public init(envID: String, episodes: Int) throws(Unsupported) {
        let drawn = ClassicControlRenderer.canRender(envID)
        guard drawn || EnvironmentSelection(id: envID).isGym else { throw Unsupported(envID: envID) }
        self.envID = envID
        self.episodes = episodes
        needsRenderedFrames = !drawn
    }

    /// Adds a frame the env rendered (ignored past the episodes recorded).
    public mutating func add(episode: Int, frame: RGBFrame) {
        guard episode < episodes else { return }
        let (width, height, indices) = Self.quantised(frame)
        if encoders[episode] == nil {
            encoders[episode] = GIFEncoder(width: width, height: height, palette: Self.webPalette, delay: 3)
        }
        encoders[episode]?.add(frame: indices)
    }

    /// The 6×6×6 colour cube: index 36·r + 6·g + b, each level 0, 51, …, 255.
    static let webPalette: [(UInt8, UInt8, UInt8)] = (0..<216).map { (i: Int) -> (UInt8, UInt8, UInt8) in
        let r = i / 36, g = i / 6 % 6, b = i % 6
        return (UInt8(r * 51), UInt8(g * 51), UInt8(b * 51))
    }

    /// `frame` shrunk by a whole factor to at most 320 pixels a side (nearest pixel), as web-palette indices.
    static func quantised(_ frame: RGBFrame) -> (width: Int, height: Int, indices: [UInt8]) {
        let factor = max(1, (max(frame.width, frame.height) + 319) / 320)
        let width = frame.width / factor, height = frame.height / factor
        var indices = [UInt8](repeating: 0, count: width * height)
        for y in 0..<height {
            for x in 0..<width {
                let p = ((y * factor) * frame.width + x * factor) * 3
                let r = (Int(frame.pixels[p]) * 6) >> 8, g = (Int(frame.pixels[p + 1]) * 6) >> 8, b = (Int(frame.pixels[p + 2]) * 6) >> 8
                indices[y * width + x] = UInt8(36 * r + 6 * g + b)
            }
        }
        return (width, height, indices)
    }

    /// Adds the frame of one evaluation step drawn from its observation (classic control; ignored past the episodes
    /// recorded).
    public mutating func add(_ step: EvaluationStep) {
        guard !needsRenderedFrames, step.episode < episodes, let frame = ClassicControlRenderer.draw(envID, observation: step.observation) else { return }
        if encoders[step.episode] == nil {
            let delay = max(2, Int((100.0 / Double(ClassicControlRenderer.framesPerSecond(envID))).rounded()))
            encoders[step.episode] = GIFEncoder(width: frame.width, height: frame.height, palette: ClassicControlRenderer.palette, delay: delay)
        }
        encoders[step.episode]?.add(frame: frame.pixels)
    }

    /// The animated GIF of `episode`, if it was recorded.
    public func file(episode: Int) -> [UInt8]? { encoders[episode]?.file }

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

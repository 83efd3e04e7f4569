/// Where everything lives in the shared-memory file of one bridge (Protocol/BRIDGE.md §2).
struct BridgeLayout: Equatable, Sendable {
    static let magic: UInt32 = 0x424F_5050  // "PPOB"
    static let version: UInt32 = 1
    static let requestOffset = 64
    /// Set by the bridge while it sleeps on its stdin: a request must then be followed by a wake-up byte.
    static let bridgeAsleepOffset = 72
    static let replyOffset = 128
    /// Set by the worker while it sleeps on the pipe: a reply must then be followed by a wake-up byte.
    static let workerAsleepOffset = 144
    static let messageOffset = 192
    static let maxMessageBytes = 1024
    static let firstArray = 1280

    let count: Int
    let observationSize: Int
    let actionSize: Int
    // Byte offsets of the arrays.
    let actions: Int
    let seeds: Int
    let observations: Int
    let finalObservations: Int
    let rewards: Int
    let terminated: Int
    let truncated: Int
    /// The envs' frames (`--render`): K × H × W × 3 bytes; nil without rendering.
    let frames: Int?
    /// Size of the whole file.
    let size: Int

    /// `frame`: (H, W) of the frames when the bridge renders (its hello says).
    init(count: Int, observationSize: Int, actionSize: Int, frame: (height: Int, width: Int)? = nil) {
        self.count = count
        self.observationSize = observationSize
        self.actionSize = actionSize
        var end = Self.firstArray
        func next(_ bytes: Int) -> Int {
            let start = (end + 63) / 64 * 64
            end = start + bytes
            return start
        }
        actions = next(count * actionSize * 4)
        seeds = next(count * 8)
        observations = next(count * observationSize * 4)
        finalObservations = next(count * observationSize * 4)
        rewards = next(count * 8)
        terminated = next(count)
        truncated = next(count)
        frames = frame.map { next(count * $0.height * $0.width * 3) }
        size = (end + 63) / 64 * 64
    }
}

/// The commands of BRIDGE.md §3.
enum BridgeCommand: UInt32 {
    case reset = 1
    case step = 2
    case close = 3
    /// Writes every env's rgb_array frame (a bridge started with `--render`).
    case render = 4
}

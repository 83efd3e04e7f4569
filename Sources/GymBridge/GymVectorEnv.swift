#if canImport(Glibc)
import Glibc
#endif
import CBridgeSupport
import Dispatch
import Environments
import Foundation
import PPOCore

/// `count` Gymnasium environments stepped by one Python process (Protocol/BRIDGE.md), with the semantics of the
/// native `VectorEnv`: auto-reset in the same step, the final observation of every finished episode kept for the
/// truncation bootstrap, episode returns and lengths counted here.
///
/// Every reply is checked before it is used (sequence, status, flags, finite observations and rewards). After a
/// fault the envs are `broken`: every later call throws, and the owner starts a new bridge.
public final class GymVectorEnv: VectorEnvironment, @unchecked Sendable {
    public let spec: EnvironmentSpec
    public let count: Int
    /// The buffers and the episodes (see `VectorStepState`), with the native `VectorEnv`'s semantics.
    public private(set) var state: VectorStepState
    /// Set by the first fault: the bridge is gone or its envs are in an unknown state.
    public var broken: BridgeFault? { channel.broken }
    /// The Python process's id.
    public var processID: Int32 { channel.process.pid }
    /// (H, W) of the envs' frames when the bridge renders (`BridgeOptions.render`).
    public let frameSize: (height: Int, width: Int)?

    private let channel: BridgeChannel
    private let layout: BridgeLayout
    private var region: SharedRegion { channel.region }
    private static let names = NameCounter()

    /// Starts a bridge with `count` envs of `selection`, seeded from `seed` (env `i`: `RNG(seed).split(i)`), and
    /// resets them.
    public init(selection: EnvironmentSelection, count: Int, seed: UInt64, options: BridgeOptions) throws(EnvironmentError) {
        guard count > 0 else { throw .invalidEnvCount(count) }
        // Started from the spawner thread, the bridge may ask to die with it: it then dies with this process.
        let arguments = ["--env", selection.gymID, "--args", selection.argumentsObject, "--count", "\(count)"] + selection.setup.bridgeArguments
            + (options.render ? ["--render"] : []) + ["--die-with-parent"]
        let process = try BridgeProcess(envID: selection.id, python: options.python, arguments: arguments, environment: options.environment)
        let hello = try process.readControl(timeout: options.startTimeout, during: "start")
        spec = try BridgeHello.spec(from: hello, selection: selection)
        frameSize = options.render ? try BridgeHello.frame(from: hello, envID: selection.id) : nil
        self.count = count
        layout = BridgeLayout(count: count, observationSize: spec.observationSize, actionSize: spec.actionSize, frame: frameSize)
        let region: SharedRegion
        do {
            region = try SharedRegion(layout: layout, name: "ppo-bridge-\(getpid())-\(Self.names.next())")
        } catch {
            throw .bridge(.protocolViolation(envID: selection.id, detail: error.description))
        }
        try process.sendControl(["path": region.path, "size": layout.size])
        let attached = try process.readControl(timeout: options.startTimeout, during: "attach")
        region.unlinkFile()
        channel = BridgeChannel(process: process, region: region, options: options, envID: selection.id, count: count)
        guard attached["ok"] as? Bool == true else { throw .bridge(.protocolViolation(envID: selection.id, detail: "attach refused: \(attached["message"] ?? "no reason given")")) }
        state = VectorStepState(count: count, observationSize: spec.observationSize)
        try reset(seeding: seed)
    }

    deinit { close() }

    /// Asks the bridge to close its envs and exit; kills it if it does not.
    public func close() { channel.close() }

    public func reset(seeding seed: UInt64) throws(EnvironmentError) {
        let base = RNG(seed: seed)
        let seeds = region.pointer(layout.seeds, as: UInt64.self)
        for i in 0..<count { seeds[i] = base.split(UInt64(i)).seed }
        try channel.request(.reset, during: "reset")
        state.clearForReset()
        try readObservations(into: &state.observations, from: layout.observations, what: "observation", stepOf: { _ in 0 })
    }

    public func step(actions: UnsafeBufferPointer<Float>) throws(EnvironmentError) {
        let a = spec.actionSize
        guard actions.count == count * a else {
            throw .wrongActionBatchSize(envID: spec.id, expected: count * a, got: actions.count)
        }
        try checkActions(actions)
        let shared = region.pointer(layout.actions, as: Float.self)
        for j in 0..<actions.count { shared[j] = actions[j] }
        try channel.request(.step, during: "step")
        try readStep()
    }

    /// Env 0's frame now, as its `render()` drew it; nil for a bridge that does not render.
    public func renderFrame() throws(EnvironmentError) -> RGBFrame? {
        guard let frameSize, let offset = layout.frames else { return nil }
        try channel.request(.render, during: "render")
        let bytes = frameSize.height * frameSize.width * 3
        let pixels = Array(UnsafeBufferPointer(start: region.pointer(offset, as: UInt8.self), count: bytes))
        return RGBFrame(width: frameSize.width, height: frameSize.height, pixels: pixels)
    }

    // MARK: Replies

    private func readStep() throws(EnvironmentError) {
        let rewardsIn = region.pointer(layout.rewards, as: Double.self)
        let terminatedIn = region.pointer(layout.terminated, as: UInt8.self)
        let truncatedIn = region.pointer(layout.truncated, as: UInt8.self)
        state.beginStep()
        for i in 0..<count {
            let reward = rewardsIn[i]
            guard reward.isFinite else { throw channel.fail(.nonFinite(envID: spec.id, envIndex: i, step: state.episodeLengths[i] + 1, what: "reward (\(reward))")) }
            guard terminatedIn[i] <= 1, truncatedIn[i] <= 1 else {
                throw channel.fail(.protocolViolation(envID: spec.id, detail: "env \(i)'s flags are not 0 or 1"))
            }
            state.record(env: i, reward: reward, terminated: terminatedIn[i] == 1, truncated: truncatedIn[i] == 1)
        }
        let lengths = state.episodeLengths
        try readObservations(into: &state.observations, from: layout.observations, what: "observation", stepOf: { lengths[$0] })
        try readObservations(into: &state.finalObservations, from: layout.finalObservations, what: "final observation",
                             rows: state.hasFinalObservation, stepOf: { lengths[$0] })
        for i in 0..<count { state.closeEpisode(env: i) }
    }

    /// Copies `count × observationSize` floats out of shared memory, refusing NaN and infinity; with `rows`, only
    /// the rows it marks (the final observations of the envs that ended).
    private func readObservations(
        into target: inout [Float], from offset: Int, what: String, rows: [Bool]? = nil, stepOf: (Int) -> Int
    ) throws(EnvironmentError) {
        let source = region.pointer(offset, as: Float.self)
        let o = spec.observationSize
        for i in 0..<count where rows?[i] ?? true {
            for j in i * o..<(i + 1) * o {
                let value = source[j]
                guard value.isFinite else {
                    throw channel.fail(.nonFinite(envID: spec.id, envIndex: i, step: stepOf(i), what: "\(what) (component \(j - i * o) is \(value))"))
                }
                target[j] = value
            }
        }
    }

    private func checkActions(_ actions: UnsafeBufferPointer<Float>) throws(EnvironmentError) {
        let a = spec.actionSize
        for i in 0..<count {
            try spec.actionSpace.check(UnsafeBufferPointer(rebasing: actions[i * a..<(i + 1) * a]), envID: spec.id)
        }
    }
}

/// Distinct names for the shared-memory files of one process.
private final class NameCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var value = 0
    func next() -> Int { lock.withLock { value += 1; return value } }
}

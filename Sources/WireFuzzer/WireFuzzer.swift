import NIOCore
import PPOCore
import Wire

/// Feeds arbitrary bytes to the frame decoder as a receiver would — the learner and the worker decode with the
/// same one — frame after frame until it needs more data or raises a `WireError`. Every message that decodes must
/// survive a round trip (encode → decode gives it back); the learner's batch validation and the worker's checks of
/// Weights and Grants against the Welcome of their connection (the last one decoded, or a CartPole-sized one)
/// must not crash. A crash, a sanitizer report or a failed round trip is a bug.
///
/// Each input is decoded twice: as it is, and with the first frame's checksum corrected — otherwise almost
/// every mutation would stop at the CRC check and the payload parsers would never see it.
func fuzzOne(_ bytes: UnsafeRawBufferPointer) {
    decodeAll(ByteBuffer(bytes: bytes))
    guard bytes.count >= WireProtocol.headerSize else { return }
    var patched = Array(bytes)
    let declared = Int(UInt32(patched[8]) | UInt32(patched[9]) << 8 | UInt32(patched[10]) << 16 | UInt32(patched[11]) << 24)
    let end = min(patched.count, WireProtocol.headerSize + declared)
    let crc = patched[WireProtocol.headerSize..<end].withUnsafeBytes { Compression.crc32($0) }
    for i in 0..<4 { patched[16 + i] = UInt8(truncatingIfNeeded: crc >> (8 * UInt32(i))) }
    decodeAll(ByteBuffer(bytes: patched))
}

func decodeAll(_ input: ByteBuffer) {
    var buffer = input
    var welcome = cartPoleWelcome
    let limits = WireLimits(maxFrameBytes: 1 << 20, maxDecodedBytes: 4 << 20)
    while true {
        let message: Message?
        do {
            message = try Frame.decode(from: &buffer, limits: limits)
        } catch {
            return  // a typed protocol error: the expected outcome for most inputs
        }
        guard let message else { return }
        var again = Frame.encode(message)
        guard let back = try? Frame.decode(from: &again, limits: .default), back == message else {
            fatalError("round trip changed a decoded \(message.type) message")
        }
        switch message {
        case .batch(let b):
            for space in [Space.discrete(2), .discrete(300), .box(low: [-1, -1], high: [1, 1]), .multiDiscrete([3, 300]), .multiBinary(4)] {
                _ = try? b.validate(against: BatchExpectation(
                    envCount: b.batch.envCount, steps: b.batch.steps, observationSize: b.batch.observationSize,
                    actionSpace: space, policyVersion: b.batch.policyVersion))
            }
        case .welcome(let w):
            welcome = w
            for envs in [1, 8, 4096] { _ = w.maxGrantSteps(envs: envs) }
        case .weights(let w):
            _ = welcome.problem(with: w)
        case .grant(let g):
            for envs in [1, 8, 4096] { _ = welcome.problem(with: g, envs: envs) }
        default:
            break
        }
    }
}

/// A Welcome for CartPole-v1's network, for Weights and Grants that arrive without one.
let cartPoleWelcome: Welcome = {
    var w = Welcome(
        version: WireProtocol.supportedVersions.upperBound, runID: "fuzz", envID: "CartPole-v1", policyVersion: 0, seed: 1,
        maxUnackedBatches: 4, heartbeatIntervalMilliseconds: 5000, activation: .tanh, hiddenSizes: [64, 64], observationSize: 4,
        head: .categorical(segments: [2]), parameterCount: 0, observationClip: 10, normalizeRewards: false, gamma: 0.99, rewardClip: 10,
        envSignature: 0)
    w.parameterCount = w.impliedParameterCount
    return w
}()

#if FUZZING
/// libFuzzer's entry to the driver (declared in FuzzerInterface.h, linked by `-sanitize=fuzzer`).
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
) -> CInt

/// SwiftPM links an executable's `main` to `<module>_main`; in a fuzzing build that runs libFuzzer's driver.
@_cdecl("WireFuzzer_main")
func fuzzerMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var count = argc
    var arguments = argv
    return LLVMFuzzerRunDriver(&count, &arguments) { data, size in
        fuzzOne(UnsafeRawBufferPointer(start: data, count: data == nil ? 0 : size))
        return 0
    }
}
#else
import Foundation

/// Without the fuzzer (a normal build): replays the given files through the same function, e.g. a corpus or
/// a crash reproducer.
@main
struct ReplayMain {
    static func main() throws {
        for path in CommandLine.arguments.dropFirst() {
            let data = try Data(contentsOf: URL(fileURLWithPath: path))
            data.withUnsafeBytes { fuzzOne($0) }
        }
    }
}
#endif

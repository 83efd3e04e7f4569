#if canImport(Glibc)
import Glibc
#endif
import CBridgeSupport
import Dispatch
import Environments

/// The request/reply channel to one bridge process over its shared memory (Protocol/BRIDGE.md §3): the sequence
/// numbers, the spin-then-sleep wait for a reply, the reply's status, and the fault that breaks the channel for
/// good. `GymVectorEnv` puts the vector env's semantics on top of it.
final class BridgeChannel: @unchecked Sendable {
    let process: BridgeProcess
    let region: SharedRegion
    /// Set by the first fault: the bridge is gone or its envs are in an unknown state.
    private(set) var broken: BridgeFault?
    private let options: BridgeOptions
    private let envID: String
    /// The envs the bridge steps (an error reply's env index is checked against it).
    private let count: Int
    private var sequence: UInt32 = 0

    init(process: BridgeProcess, region: SharedRegion, options: BridgeOptions, envID: String, count: Int) {
        self.process = process
        self.region = region
        self.options = options
        self.envID = envID
        self.count = count
    }

    /// Asks the bridge to close its envs and exit; kills it if it does not.
    func close() {
        if broken == nil, (try? request(.close, during: "close")) != nil {
            process.reap(waiting: 2)
        }
        process.terminate()
    }

    func request(_ command: BridgeCommand, during: String) throws(EnvironmentError) {
        if let broken { throw .bridge(broken) }
        sequence &+= 1
        region.setPlainWord(BridgeLayout.requestOffset + 4, command.rawValue)
        region.setWord(BridgeLayout.requestOffset, sequence)
        ppo_fence()
        do {
            if region.word(BridgeLayout.bridgeAsleepOffset) == 1 { try process.wake() }
            try awaitReply(during: during)
        } catch {
            if case .bridge(let fault) = error { broken = fault }
            throw error
        }
        try checkReply()
    }

    /// Spins on the reply sequence for `options.spin` (the first 50 µs without yielding the CPU); then says it sleeps, looks once more,
    /// and sleeps on the pipe in slices of at most 10 ms, until the reply comes or the env has had `options.timeout`.
    ///
    /// The timeout counts the time this process was running: a gap between two looks of more than a second (the
    /// job stopped with SIGSTOP and continued, a suspended machine) counts as one second, so a worker continued
    /// before its Python process does not take the env for hung.
    private func awaitReply(during: String) throws(EnvironmentError) {
        let reply = BridgeLayout.replyOffset
        let start = DispatchTime.now().uptimeNanoseconds
        let timeout = options.timeout.wholeNanosecondsUnsigned
        let spinUntil = start + options.spin.wholeNanosecondsUnsigned
        // A cheap env answers within tens of microseconds: spin without giving the CPU away for those, then yield.
        let busyUntil = min(spinUntil, start + 50_000)
        while region.word(reply) != sequence, DispatchTime.now().uptimeNanoseconds < busyUntil {}
        while region.word(reply) != sequence, DispatchTime.now().uptimeNanoseconds < spinUntil { sched_yield() }
        var (waited, last) = (UInt64(0), start)
        while region.word(reply) != sequence {
            let now = DispatchTime.now().uptimeNanoseconds
            waited += min(now - last, Self.longestLook)
            last = now
            guard waited < timeout else { throw process.failTimedOut(options.timeout, during) }
            region.setWord(BridgeLayout.workerAsleepOffset, 1)
            ppo_fence()
            defer { region.setWord(BridgeLayout.workerAsleepOffset, 0) }
            if region.word(reply) != sequence { try process.sleep(until: now + min(timeout - waited, 10_000_000)) }
        }
    }

    /// The most one gap between two looks at the reply counts towards the timeout (ns).
    static let longestLook: UInt64 = 1_000_000_000

    private func checkReply() throws(EnvironmentError) {
        let reply = BridgeLayout.replyOffset
        guard region.word(reply) == sequence else {
            throw fail(.protocolViolation(envID: envID, detail: "reply \(region.word(reply)) to request \(sequence)"))
        }
        switch region.plainWord(reply + 4) {
        case 0:
            return
        case 1:
            let index = Int(region.plainWord(reply + 8))
            let length = min(Int(region.plainWord(reply + 12)), BridgeLayout.maxMessageBytes)
            let bytes = UnsafeBufferPointer(start: region.pointer(BridgeLayout.messageOffset, as: UInt8.self), count: length)
            let message = String(decoding: bytes, as: UTF8.self)
            throw fail(.raised(envID: envID, envIndex: index < count ? index : -1, message: message.isEmpty ? process.lastErrorLine : message))
        case let status:
            throw fail(.protocolViolation(envID: envID, detail: "reply status \(status)"))
        }
    }

    func fail(_ fault: BridgeFault) -> EnvironmentError {
        broken = fault
        process.terminate()
        return .bridge(fault)
    }
}

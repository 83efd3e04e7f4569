import Logging
import NIOConcurrencyHelpers
import NIOCore
import Wire

/// Connections open in any state (TLS handshake, waiting for Hello, serving): at most the workers' limit plus a
/// few in their handshake, so that connections without a certificate or a Hello cannot use up the learner's file
/// descriptors. The rest are closed as soon as they are accepted, counted, and warned about once.
final class ConnectionCap: Sendable {
    let limit: Int
    let maxConnections: Int
    private let open = NIOLockedValueBox(0)
    private let warned = NIOLockedValueBox(false)
    private let core: LearnerCore
    private let logger: Logger

    init(maxConnections: Int, allowance: Int, core: LearnerCore, logger: Logger) {
        self.maxConnections = maxConnections
        limit = maxConnections + allowance
        self.core = core
        self.logger = logger
    }

    /// Counts a new connection in, or closes it if the cap is reached; whether it may be served.
    func admit(_ channel: Channel) async -> Bool {
        guard open.withLockedValue({ n in n += 1; return n }) > limit else { return true }
        open.withLockedValue { $0 -= 1 }
        try? await channel.close()
        await core.countRejected(WireError(.tooManyConnections, "over \(limit) connections open"))
        if !warned.withLockedValue({ w in defer { w = true }; return w }) {
            logger.warning("over \(limit) connections open (--max-connections \(maxConnections) and \(limit - maxConnections) in their handshake): closing new ones at once; see ppo_frames_rejected_total{reason=\"tooManyConnections\"}")
        }
        return false
    }

    /// A served connection ended.
    func release() { open.withLockedValue { $0 -= 1 } }
}

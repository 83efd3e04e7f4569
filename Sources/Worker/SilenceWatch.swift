import NIOConcurrencyHelpers
import NIOCore
import PPOCore
import Wire

/// The worker's own idle timeout (PROTOCOL.md §3.3): while the worker waits for the learner, the learner must be
/// heard within `limit`, or the connection is closed and the session ends in a reconnect. A learner whose host
/// lost power or whose route dropped leaves a half-open TCP connection that the kernel would keep for minutes.
///
/// Only the waits count: while the worker collects a grant it reads nothing, and what the learner sent meanwhile
/// (its heartbeat echoes among it) is read when the worker waits again. A deadline on the channel's own reads
/// would fire during a long collection as soon as the inbound buffer is full and reading pauses.
struct SilenceWatch: Sendable {
    let channel: Channel
    let limit: Duration
    private let silent = NIOLockedValueBox(false)

    init(channel: Channel, limit: Duration) {
        self.channel = channel
        self.limit = limit
    }

    /// Whether the learner's silence closed the connection.
    var fired: Bool { silent.withLockedValue { $0 } }

    /// How the session ends after the watch fired.
    var ending: SessionEnding {
        .reconnect("the learner sent nothing for \(limit) (a partition, or its host is gone); closing this connection", afterWelcome: true)
    }

    /// The next message, waiting at most `limit`; nil when the connection ended (by the learner, or by this watch:
    /// see `fired`).
    func next(_ messages: inout SessionDriver.Inbound) async throws -> Message? {
        let silent = self.silent
        let channel = self.channel
        let deadline = channel.eventLoop.scheduleTask(in: .nanoseconds(limit.wholeNanoseconds)) {
            silent.withLockedValue { $0 = true }
            channel.close(promise: nil)
        }
        defer { deadline.cancel() }
        return try await messages.next()
    }
}

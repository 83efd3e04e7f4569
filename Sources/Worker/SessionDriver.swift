import Dispatch
import Environments
import Logging
import NIOCore
import Wire

/// Carries out a ``WorkerSession``'s actions on one live connection: writes what it sends, prepares the Welcome's
/// policy and environments, loads weights, collects grants, beats the heart and watches the learner's silence.
/// The decisions are the machine's; this type only does I/O and hands the results back.
final class SessionDriver {
    typealias Inbound = NIOAsyncChannelInboundStream<Message>.AsyncIterator
    typealias Outbound = NIOAsyncChannelOutboundWriter<Message>

    private var machine: WorkerSession
    private var messages: Inbound
    private let outbound: Outbound
    private let channel: Channel
    private let preparation: SessionPreparation
    private let index: UInt64
    private let logger: Logger
    private var worker: WorkerState?
    /// Set once the session is prepared: the learner's silence limit, and the heartbeats.
    private var watch: SilenceWatch?
    private var heartbeat: Task<Void, Error>?

    init(machine: WorkerSession, inbound: NIOAsyncChannelInboundStream<Message>, outbound: Outbound, channel: Channel,
         preparation: SessionPreparation, index: UInt64, logger: Logger) {
        self.machine = machine
        self.messages = inbound.makeAsyncIterator()
        self.outbound = outbound
        self.channel = channel
        self.preparation = preparation
        self.index = index
        self.logger = logger
    }

    /// Runs the session to its end.
    func run() async throws -> SessionEnding {
        defer { heartbeat?.cancel() }
        do {
            return try await converse()
        } catch {
            // The connection failed because the learner's silence closed it: that is how the session ended.
            if let watch, watch.fired { return watch.ending }
            // An environment's own failure is this worker's to report, whatever the learner said meanwhile.
            if !(error is EnvironmentError), let ending = await lastWord() { return ending }
            throw error
        }
    }

    /// How the learner ended the session, if it did so in a message received before the connection failed: a
    /// learner that finishes the run says Goodbye and closes, and a worker still collecting then fails to send
    /// its batch with the Goodbye unread. Only a closed connection's messages are read (they are all buffered).
    private func lastWord() async -> SessionEnding? {
        guard !channel.isActive else { return nil }
        while let message = try? await messages.next() {
            for case .end(let ending) in machine.receive(message) { return ending }
        }
        return nil
    }

    private func converse() async throws -> SessionEnding {
        var queue = machine.start()
        while true {
            while !queue.isEmpty {
                if let ending = try await perform(queue.removeFirst(), then: &queue) { return ending }
            }
            if let message = try await next() {
                queue = machine.receive(message)
            } else if let watch, watch.fired {
                return watch.ending
            } else {
                queue = machine.closed()
            }
        }
    }

    /// Does `action`; what it leads to is appended to `queue`. The ending, when the action ends the session.
    private func perform(_ action: WorkerSession.Action, then queue: inout [WorkerSession.Action]) async throws -> SessionEnding? {
        switch action {
        case .send(let message):
            try await send(message)
        case .prepare(let welcome):
            switch preparation.prepare(welcome: welcome, session: index) {
            case .success(let state):
                worker = state
                started(welcome)
                queue += machine.prepared()
            case .failure(let refusal):
                queue += machine.refused(code: refusal.code, refusal.message, ending: refusal.ending)
            }
        case .load(let weights):
            worker?.load(weights)
        case .collect(let grant):
            guard let worker else { return nil }
            do {
                queue += machine.collected(try await worker.collect(grant: grant))
            } catch EnvironmentError.bridge(let fault) where !fault.isPermanent {
                queue += machine.environmentFailed(fault)
            }
        case .end(let ending):
            return ending
        }
        return nil
    }

    /// Writes `message`. An Error is a last word before closing: a connection already gone does not matter then.
    private func send(_ message: Message) async throws {
        switch message {
        case .error:
            try? await outbound.write(message)
        case .batch:
            try await outbound.write(message)
            preparation.environments.markDelivered()
        default:
            try await outbound.write(message)
        }
    }

    /// The session is prepared: the heartbeats start, and the learner's silence is watched from now on.
    private func started(_ welcome: Welcome) {
        let options = preparation.options
        logger.info("connected to \(options.host):\(options.port) (run \(welcome.runID), policy version \(welcome.policyVersion), \(options.envs) envs)")
        let interval = Duration.milliseconds(Int64(welcome.heartbeatIntervalMilliseconds))
        let outbound = self.outbound
        heartbeat = Task {
            while !Task.isCancelled {
                try await Task.sleep(for: interval)
                try await outbound.write(.heartbeat(sentAtNanoseconds: DispatchTime.now().uptimeNanoseconds))
            }
        }
        watch = SilenceWatch(channel: channel, limit: options.silenceLimit(heartbeatInterval: interval))
    }

    /// The learner's next message, or nil when the connection ended. Before the Welcome, the connection is closed
    /// after the welcome timeout (under TLS 1.3 a refused certificate shows only at this first read); after it,
    /// after the silence limit.
    private func next() async throws -> Message? {
        if let watch { return try await watch.next(&messages) }
        let channel = self.channel
        let deadline = channel.eventLoop.scheduleTask(in: .nanoseconds(preparation.options.welcomeTimeout.wholeNanoseconds)) {
            channel.close(promise: nil)
        }
        defer { deadline.cancel() }
        return try await messages.next()
    }
}

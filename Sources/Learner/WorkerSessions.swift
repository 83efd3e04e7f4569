import Environments
import Logging
import NIOCore
import PPOCore
import Wire

/// The learner's side of the workers' conversations (PROTOCOL.md §3.2, §5.2): who is connected (`SessionTable`),
/// the grants and the on-policy gate (`Scheduler`), and what each worker message gets. It answers on each
/// session's outbound queue and counts what it sees in the telemetry it is handed; `LearnerCore` owns it, tells it
/// whether the run trains, and trains the batches it accepts.
struct WorkerSessions {
    private(set) var table = SessionTable()
    var scheduler: Scheduler
    let maxConnections: Int
    let grantTimeout: Duration
    /// The run's environment as a Hello must name it.
    let spec: EnvironmentSpec
    /// The run's environment: id, arguments and setup (what a worker that names its own must match).
    let environment: EnvironmentSelection
    let signature: UInt64
    let logger: Logger

    var count: Int { table.count }

    /// The sessions of a learner run with `options` on `spec`, its trainer at `version`, collecting rollouts of
    /// `rolloutSize` transitions.
    init(options: LearnerOptions, spec: EnvironmentSpec, version: UInt64, rolloutSize: Int, logger: Logger) {
        scheduler = Scheduler(
            version: version, rolloutSize: rolloutSize, maxStepsPerGrant: options.maxStepsPerGrant,
            observationSize: spec.observationSize, actionSpace: spec.actionSpace, maxPolicyLag: UInt64(options.maxPolicyLag),
            maxOpenPerSession: options.maxUnackedBatches)
        maxConnections = options.maxConnections
        grantTimeout = options.grantTimeout
        self.spec = spec
        environment = options.run.environment
        signature = spec.signature(environment)
        self.logger = logger
    }

    /// Checks a Hello (§3.2) and, if it is acceptable, registers the session and queues the Welcome (of the
    /// version `welcome` is given) and the Weights.
    mutating func register(_ hello: Hello, peer: String, outbound: AsyncStream<OutboundFrame>.Continuation, welcome: (UInt16) -> Welcome,
                           weights: ByteBuffer, telemetry: inout LearnerTelemetry) -> SessionRegistration {
        if let refusal = SessionTable.refusal(of: hello, connected: table.count, maxConnections: maxConnections, spec: spec,
                                              environment: environment, signature: signature) {
            return .refused(refusal)
        }
        let id = table.open(hello, outbound: outbound)
        telemetry.connected(session: id, hello: hello, address: peer, connected: table.count)
        outbound.yield(.message(.welcome(welcome(min(hello.maxVersion, WireProtocol.supportedVersions.upperBound)))))
        outbound.yield(.encoded(weights))
        logger.info("worker \(hello.workerID) connected (session \(id), \(hello.numEnvs) envs); \(table.count) connected")
        return .session(id)
    }

    /// A connection ended: its open grants return to the pool, and are offered to the others while `training`.
    mutating func unregister(_ id: Int, reason: String, training: Bool, telemetry: inout LearnerTelemetry) {
        guard let s = table.close(id) else { return }
        s.outbound.finish()
        scheduler.release(session: id)
        telemetry.disconnected(session: id, reason: reason, connected: table.count)
        logger.info("worker \(s.workerID) disconnected after \(s.delivered) batches (\(reason)); \(table.count) connected")
        offerGrants(training: training)
    }

    /// Closes the connections that hold a grant older than the grant timeout; their grants go back to the pool.
    mutating func expireGrants(now: ContinuousClock.Instant, training: Bool, telemetry: inout LearnerTelemetry) {
        for id in scheduler.sessionsOverdue(timeout: grantTimeout, now: now) {
            guard let s = table[id] else { continue }
            let error = WireError(.timeout, "a grant was not delivered within \(grantTimeout); its steps go to other workers")
            logger.warning("worker \(s.workerID): \(error); closing the connection")
            telemetry.rejected(error)
            s.outbound.yield(.message(.error(error)))
            unregister(id, reason: "grant not delivered in time", training: training, telemetry: &telemetry)
        }
    }

    /// A grant for every session the scheduler's rule gives one to, while `training`.
    mutating func offerGrants(training: Bool) {
        for id in table.ids { offerGrant(to: id, training: training) }
    }

    /// A grant for session `id`, if the run trains and the scheduler's rule gives one.
    mutating func offerGrant(to id: Int, training: Bool) {
        guard training, let s = table[id], let holding = s.holding,
              let g = scheduler.grant(session: id, holding: holding, envs: s.envs) else { return }
        s.outbound.yield(.message(.grant(Grant(grantID: g.id, policyVersion: g.version, steps: UInt32(g.steps)))))
    }

    /// Queues `frame` (the new weights) for every worker.
    func broadcast(_ frame: ByteBuffer) {
        for s in table.all { s.outbound.yield(.encoded(frame)) }
    }

    /// Tells every worker the run is over and ends their queues.
    func sayGoodbye(_ goodbye: Goodbye) {
        for s in table.all {
            s.outbound.yield(.message(.goodbye(goodbye)))
            s.outbound.finish()
        }
    }

    /// What a worker's message gets, and the batch it delivered if the gate accepted it for training. `latest`:
    /// the newest weights' version; `ended`: the run is over (an accepted batch is counted, not trained).
    mutating func handle(_ message: Message, session id: Int, latest: UInt64, training: Bool, ended: Bool,
                         telemetry: inout LearnerTelemetry) -> (MessageVerdict, accepted: TransitionBatch?) {
        guard let session = table[id] else { return (.close(WireError(.unexpectedMessage, "session is closed")), nil) }
        telemetry.roster.heard(session: id)
        switch message {
        case .ready(let v):
            if v > latest { return (.close(WireError(.invalidVersion, "Ready for version \(v), the learner is at \(latest)")), nil) }
            table[id]?.holding = v
            offerGrant(to: id, training: training)
            return (.keepOpen, nil)
        case .batch(let b):
            return receive(b, session: id, ended: ended, telemetry: &telemetry)
        case .heartbeat:
            return (.keepOpen, nil)
        case .goodbye:
            return (.close(WireError(.shuttingDown, "worker said goodbye")), nil)
        case .error(let code, let text):
            logger.warning("worker \(session.workerID) reported error \(code): \(text)")
            return (.close(WireError(.shuttingDown, "worker reported an error")), nil)
        case .hello:
            return (.close(WireError(.unexpectedMessage, "a second Hello on an established connection")), nil)
        case .welcome, .weights, .grant, .ack:
            return (.close(WireError(.unexpectedMessage, "\(message.type) is a learner-to-worker message")), nil)
        }
    }

    /// A batch: what the on-policy gate decides is done here, and nothing else decides it.
    private mutating func receive(_ message: BatchMessage, session id: Int, ended: Bool,
                                  telemetry: inout LearnerTelemetry) -> (MessageVerdict, accepted: TransitionBatch?) {
        guard let session = table[id] else { return (.keepOpen, nil) }
        let b = message.batch
        switch scheduler.accept(message, from: id) {
        case .invalid(let error):
            return (.close(error), nil)  // logged and counted where the connection is closed
        case .ungranted:
            return (.close(WireError(.ungrantedBatch, "batch for grant \(message.grantID), which this connection does not hold")), nil)
        case .stale(let n):
            telemetry.dropped(b.count, received: true, why: "stale")
            session.outbound.yield(.message(.ack(Ack(grantID: message.grantID, status: .stale, transitions: UInt32(clamping: n)))))
            return (.keepOpen, nil)
        case .accepted:
            guard !ended else {
                // Granted before the run ended, arrived after: nothing more is trained.
                telemetry.dropped(b.count, received: true, why: "unfinished")
                return (.keepOpen, nil)
            }
            session.outbound.yield(.message(.ack(Ack(grantID: message.grantID, status: .accepted, transitions: UInt32(clamping: b.count)))))
            table[id]?.delivered += 1
            telemetry.accepted(b, session: id)
            return (.keepOpen, b)
        }
    }
}

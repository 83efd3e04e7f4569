import Environments
import Wire

/// The worker's side of one connection (PROTOCOL.md §3.1) as a state machine with no I/O: the learner's messages,
/// and the results of what the machine asked for, go in; the actions to take, in order, come out. `WorkerClient`
/// carries them out on a real connection; tests drive the machine directly.
///
/// The conversation: Hello → Welcome (a version this worker speaks) → prepare the policy and environments →
/// Weights (load, then Ready) → Grants (collect the ones of a version held, send the Batch) → Acks (a Ready
/// whenever fewer than the Welcome's `maxUnackedBatches` batches are unacknowledged), until the learner ends it.
struct WorkerSession {
    /// What the worker does next.
    enum Action: Equatable {
        case send(Message)
        /// Build the policy and the environments this Welcome describes; then ``prepared()`` or
        /// ``refused(code:_:ending:)``.
        case prepare(Welcome)
        /// Load these weights (checked against the Welcome) as the policy of their version.
        case load(Weights)
        /// Collect this grant with its version's policy; then ``collected(_:)`` or ``environmentFailed(_:)``.
        case collect(Grant)
        /// The session is over.
        case end(SessionEnding)
    }

    enum Phase: Equatable {
        case awaitingWelcome
        case serving
        case ended
    }

    private(set) var phase = Phase.awaitingWelcome
    private let hello: Hello
    /// The learner as a person would name it, and how long its Welcome may take (for the sentences).
    private let learner: String
    private let welcomeTimeout: Duration
    private var welcome: Welcome?
    /// The versions whose policy this worker holds: the current one and the one before it (with a policy lag of 1
    /// the learner may grant steps of that one after sending the next one's weights).
    private(set) var current: UInt64 = 0
    private(set) var previous: UInt64?
    /// Batches sent and not acknowledged yet, and whether a Ready for the current window is out.
    private(set) var unacked = 0
    private var readySent = false

    init(hello: Hello, learner: String, welcomeTimeout: Duration) {
        self.hello = hello
        self.learner = learner
        self.welcomeTimeout = welcomeTimeout
    }

    /// The first actions: say Hello.
    func start() -> [Action] { [.send(.hello(hello))] }

    /// Whether this worker holds the policy of version `v`.
    func holds(_ v: UInt64) -> Bool { phase == .serving && (v == current || v == previous) }

    /// The actions for a message from the learner.
    mutating func receive(_ message: Message) -> [Action] {
        switch phase {
        case .awaitingWelcome: return receiveFirst(message)
        case .serving: return receiveServing(message)
        case .ended: return []
        }
    }

    /// The connection ended (the learner closed it, or the welcome deadline closed it).
    mutating func closed() -> [Action] {
        switch phase {
        case .awaitingWelcome:
            return end(.reconnect("the learner at \(learner) closed the connection before its Welcome (no answer within \(welcomeTimeout))"))
        case .serving: return end(.reconnect("the learner closed the connection", afterWelcome: true))
        case .ended: return []
        }
    }

    /// The Welcome's policy and environments are ready: the worker waits for the Weights.
    mutating func prepared() -> [Action] { [] }

    /// The Welcome cannot be served: the learner is told why with `code`, and the session ends.
    mutating func refused(code: WireError.Code, _ message: String, ending: SessionEnding) -> [Action] {
        guard phase != .ended else { return [] }
        return [.send(.error(WireError(code, message)))] + end(ending)
    }

    /// A grant was collected: its batch goes out, and a Ready if the window has room.
    mutating func collected(_ batch: BatchMessage) -> [Action] {
        guard phase == .serving else { return [] }
        unacked += 1
        readySent = unacked < maxUnacked
        return [.send(.batch(batch))] + (readySent ? [.send(.ready(policyVersion: current))] : [])
    }

    /// The environment failed while collecting: nothing of the grant is sent; closing gives it back.
    mutating func environmentFailed(_ fault: BridgeFault) -> [Action] {
        refused(code: .environmentFailed, fault.description, ending: .environmentFailed(fault))
    }

    private var maxUnacked: Int { Int(welcome?.maxUnackedBatches ?? 1) }

    private mutating func end(_ ending: SessionEnding) -> [Action] {
        phase = .ended
        return [.end(ending)]
    }

    private mutating func receiveFirst(_ message: Message) -> [Action] {
        switch message {
        case .welcome(let w):
            guard WireProtocol.supportedVersions.contains(w.version) else {
                let why = "the learner chose protocol version \(w.version); this worker speaks \(WireProtocol.supportedVersions.lowerBound)–\(WireProtocol.supportedVersions.upperBound)"
                return refused(code: .unsupportedVersion, why, ending: .refused(why))
            }
            welcome = w
            current = w.policyVersion
            phase = .serving
            return [.prepare(w)]
        case .error(let code, let text):
            return end(.learnerError(code: code, text, afterWelcome: false))
        case .goodbye(let g):
            return end(.goodbye(g, afterWelcome: false))
        default:
            return end(.refused("the learner sent \(message.type) before Welcome"))
        }
    }

    private mutating func receiveServing(_ message: Message) -> [Action] {
        guard let welcome else { return [] }
        switch message {
        case .weights(let w):
            if let problem = welcome.problem(with: w) {
                return refused(code: .shapeMismatch, problem, ending: .reconnect("the learner sent unusable Weights: \(problem)", afterWelcome: true))
            }
            if w.policyVersion != current {
                previous = current
                current = w.policyVersion
            }
            readySent = true
            return [.load(w), .send(.ready(policyVersion: w.policyVersion))]
        case .grant(let g):
            // A grant of a version this worker no longer holds: the learner revoked it with that version.
            guard holds(g.policyVersion) else { return [] }
            if let problem = welcome.problem(with: g, envs: Int(hello.numEnvs)) {
                return refused(code: .grantExceeded, problem, ending: .reconnect("the learner sent an unusable Grant: \(problem)", afterWelcome: true))
            }
            return [.collect(g)]
        case .ack:
            unacked = max(0, unacked - 1)
            guard !readySent && unacked < maxUnacked else { return [] }
            readySent = true
            return [.send(.ready(policyVersion: current))]
        case .heartbeat:
            return []
        case .goodbye(let g):
            return end(.goodbye(g, afterWelcome: true))
        case .error(let code, let text):
            return end(.learnerError(code: code, text, afterWelcome: true))
        case .welcome, .hello, .ready, .batch:
            return refused(code: .unexpectedMessage, "\(message.type) after Welcome",
                           ending: .reconnect("the learner sent an unexpected \(message.type)", afterWelcome: true))
        }
    }
}

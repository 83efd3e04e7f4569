import Environments
import Wire

/// The learner's connected workers: one session per connection that passed its Hello, by session number.
struct SessionTable {
    struct Session {
        var workerID: String
        var envs: Int
        /// The policy version the worker holds (its last Ready).
        var holding: UInt64?
        var outbound: AsyncStream<OutboundFrame>.Continuation
        /// Batches accepted on this connection.
        var delivered = 0
    }

    private(set) var sessions: [Int: Session] = [:]
    private var next = 1

    var count: Int { sessions.count }
    var ids: Dictionary<Int, Session>.Keys { sessions.keys }
    var all: Dictionary<Int, Session>.Values { sessions.values }

    subscript(id: Int) -> Session? {
        get { sessions[id] }
        set { sessions[id] = newValue }
    }

    /// Registers a worker that passed its Hello; its session number.
    mutating func open(_ hello: Hello, outbound: AsyncStream<OutboundFrame>.Continuation) -> Int {
        let id = next
        next += 1
        sessions[id] = Session(workerID: hello.workerID, envs: Int(hello.numEnvs), holding: nil, outbound: outbound)
        return id
    }

    mutating func close(_ id: Int) -> Session? { sessions.removeValue(forKey: id) }

    /// Why a Hello (§3.2) is refused — too many workers, no common protocol version, another env — or nil.
    static func refusal(of hello: Hello, connected: Int, maxConnections: Int, spec: EnvironmentSpec, environment: EnvironmentSelection,
                        signature: UInt64) -> WireError? {
        guard connected < maxConnections else {
            return WireError(.tooManyConnections, "the learner serves at most \(maxConnections) workers")
        }
        let supported = WireProtocol.supportedVersions
        guard hello.minVersion <= supported.upperBound, hello.maxVersion >= supported.lowerBound else {
            return WireError(.unsupportedVersion, "worker speaks \(hello.minVersion)–\(hello.maxVersion), the learner \(supported.lowerBound)–\(supported.upperBound)")
        }
        guard hello.envID.isEmpty || (hello.envID == spec.id && hello.envSignature == signature) else {
            return WireError(.envMismatch, "worker runs \(hello.envID), the learner trains \(spec.id) (\(spec.canonicalDescription(environment)))")
        }
        return nil
    }
}

import NIOCore

/// The small control messages, PROTOCOL.md §4.4–§4.10: Grant, Ack and Goodbye here; Ready, Heartbeat and Error
/// (a value or two each) in `MessageCodec`'s switch.
extension Grant: PayloadCodable {
    func encode(into w: inout PayloadWriter) {
        w.integer(grantID)
        w.integer(policyVersion)
        w.integer(steps)
    }

    static func decode(from r: inout PayloadReader) throws(WireError) -> Grant {
        let id = try r.integer("grant_id", as: UInt32.self)
        let v = try r.integer("policy_version", as: UInt64.self)
        let steps = try r.integer("steps", as: UInt32.self)
        guard steps >= 1 else { throw r.fail("steps is 0") }
        return Grant(grantID: id, policyVersion: v, steps: steps)
    }
}

extension Ack: PayloadCodable {
    func encode(into w: inout PayloadWriter) {
        w.integer(grantID)
        w.integer(status.rawValue)
        w.integer(transitions)
    }

    static func decode(from r: inout PayloadReader) throws(WireError) -> Ack {
        let id = try r.integer("grant_id", as: UInt32.self)
        let raw = try r.integer("status", as: UInt8.self)
        guard let status = Ack.Status(rawValue: raw) else { throw r.fail("status \(raw) is not 0 or 1") }
        return Ack(grantID: id, status: status, transitions: try r.integer("transitions", as: UInt32.self))
    }
}

extension Goodbye: PayloadCodable {
    func encode(into w: inout PayloadWriter) {
        w.integer(reason.rawValue)
        w.string(message, maxBytes: WireProtocol.maxMessageBytes)
    }

    static func decode(from r: inout PayloadReader) throws(WireError) -> Goodbye {
        let raw = try r.integer("reason", as: UInt8.self)
        guard let reason = Goodbye.Reason(rawValue: raw) else { throw r.fail("reason \(raw) is not 0, 1 or 2") }
        return Goodbye(reason: reason, message: try r.string("message", maxBytes: WireProtocol.maxMessageBytes))
    }
}

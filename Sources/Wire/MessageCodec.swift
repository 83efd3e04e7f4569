import NIOCore
import PPOCore

/// One message's payload (PROTOCOL.md §4, §5): its encoding and its decoding, side by side in the message's codec
/// file. Decoding checks every bound the spec gives that does not depend on the run; the learner's on-policy gate
/// (`BatchMessage.validate(against:)` through `Scheduler.accept`) checks the rest.
protocol PayloadCodable {
    func encode(into w: inout PayloadWriter)
    static func decode(from r: inout PayloadReader) throws(WireError) -> Self
}

/// Payload encoding and decoding of every message: which codec a type number goes to.
public enum MessageCodec {
    /// Appends the payload of `message` to `buffer`.
    public static func encodePayload(_ message: Message, into buffer: inout ByteBuffer) {
        var w = PayloadWriter(buffer: buffer)
        buffer = ByteBuffer()  // keep `w.buffer` uniquely referenced while writing
        defer { buffer = w.buffer }
        switch message {
        case .hello(let m): m.encode(into: &w)
        case .welcome(let m): m.encode(into: &w)
        case .weights(let m): m.encode(into: &w)
        case .ready(let v): w.integer(v)
        case .grant(let m): m.encode(into: &w)
        case .batch(let m): m.encode(into: &w)
        case .ack(let m): m.encode(into: &w)
        case .heartbeat(let t): w.integer(t)
        case .error(let code, let text):
            w.integer(code)
            w.string(text, maxBytes: WireProtocol.maxMessageBytes)
        case .goodbye(let m): m.encode(into: &w)
        }
    }

    /// Parses a whole payload of `type`: every byte must belong to the message.
    public static func decodePayload(_ type: MessageType, _ payload: ByteBuffer) throws(WireError) -> Message {
        var r = PayloadReader(payload, message: type)
        let message: Message
        switch type {
        case .hello: message = .hello(try Hello.decode(from: &r))
        case .welcome: message = .welcome(try Welcome.decode(from: &r))
        case .weights: message = .weights(try Weights.decode(from: &r))
        case .ready: message = .ready(policyVersion: try r.integer("policy_version", as: UInt64.self))
        case .grant: message = .grant(try Grant.decode(from: &r))
        case .batch: message = .batch(try BatchMessage.decode(from: &r))
        case .ack: message = .ack(try Ack.decode(from: &r))
        case .heartbeat: message = .heartbeat(sentAtNanoseconds: try r.integer("sent_at_ns", as: UInt64.self))
        case .error:
            let code = try r.integer("code", as: UInt16.self)
            message = .error(code: code, message: try r.string("message", maxBytes: WireProtocol.maxMessageBytes))
        case .goodbye: message = .goodbye(try Goodbye.decode(from: &r))
        }
        try r.finish()
        return message
    }

    /// The bytes a worker id may have (§4.1).
    static func isIDByte(_ b: UInt8) -> Bool {
        (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b == 0x2E || b == 0x5F || b == 0x2D
    }
}

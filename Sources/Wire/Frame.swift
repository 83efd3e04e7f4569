import NIOCore

/// Frames (PROTOCOL.md §2): a 20-byte header — magic, framing version, type, flags, payload length, decoded
/// length, CRC-32 — then the payload, zlib-compressed when flag bit 0 is set.
public enum Frame {
    /// Flag bit 0: the payload is zlib-compressed.
    public static let compressedFlag: UInt8 = 1

    /// How a sender compresses: `level` 1…9 for frames of the given types, none for the others.
    public struct CompressionPolicy: Sendable, Equatable {
        public var level: Int32
        public var types: Set<MessageType>

        public init(level: Int32 = 1, types: Set<MessageType> = [.weights, .batch]) {
            self.level = level
            self.types = types
        }

        public static let `default` = CompressionPolicy()
        public static let none = CompressionPolicy(level: 0, types: [])
    }

    /// Appends the complete frame of `message` to `buffer`.
    public static func encode(_ message: Message, compression: CompressionPolicy = .default, into buffer: inout ByteBuffer) {
        var payload = ByteBuffer()
        MessageCodec.encodePayload(message, into: &payload)
        let decodedLength = payload.readableBytes
        var flags: UInt8 = 0
        if compression.types.contains(message.type), compression.level > 0 {
            let compressed = payload.withUnsafeReadableBytes { Compression.compress($0, level: compression.level) }
            payload = ByteBuffer(bytes: compressed)
            flags |= compressedFlag
        }
        let crc = payload.withUnsafeReadableBytes { Compression.crc32($0) }
        buffer.writeBytes(WireProtocol.magic)
        buffer.writeInteger(WireProtocol.framingVersion, endianness: .little)
        buffer.writeInteger(message.type.rawValue)
        buffer.writeInteger(flags)
        buffer.writeInteger(UInt32(payload.readableBytes), endianness: .little)
        buffer.writeInteger(UInt32(decodedLength), endianness: .little)
        buffer.writeInteger(crc, endianness: .little)
        buffer.writeBuffer(&payload)
    }

    /// The bytes of one frame.
    public static func encode(_ message: Message, compression: CompressionPolicy = .default) -> ByteBuffer {
        var buffer = ByteBuffer()
        encode(message, compression: compression, into: &buffer)
        return buffer
    }

    /// What a frame decoder says when a TLS record arrives where a frame should start: one side speaks TLS, the
    /// other does not (a plaintext worker and a TLS learner, or the other way round).
    public static let tlsMismatch = "the peer speaks TLS and this side does not (a TLS record arrived where a frame should start): give both sides --tls-dir, or neither"

    /// Whether `bytes` (at least 3) begin a TLS record: content type 20–23 and protocol major version 3. A frame
    /// begins with "PPOW".
    static func isTLSRecord<Bytes: Collection<UInt8>>(_ bytes: Bytes) -> Bool {
        let head = Array(bytes.prefix(3))
        return head.count == 3 && (20...23).contains(head[0]) && head[1] == 3 && head[2] <= 4
    }

    /// Decodes one frame from the front of `buffer`: nil (and nothing consumed) if the frame is not complete yet;
    /// the message (and the frame consumed) if it is valid; `WireError` otherwise, checking in the order of §2.
    public static func decode(from buffer: inout ByteBuffer, limits: WireLimits) throws(WireError) -> Message? {
        let start = buffer.readerIndex
        // A frame starts with "P"; only a first byte in TLS's record range is looked at further.
        if let first = buffer.getInteger(at: start, as: UInt8.self), (20...23).contains(first), isTLSRecord(buffer.readableBytesView) {
            throw WireError(.badMagic, tlsMismatch)
        }
        guard buffer.readableBytes >= WireProtocol.headerSize else { return nil }
        guard let magic = buffer.getBytes(at: start, length: 4), magic == WireProtocol.magic else {
            let got = buffer.getBytes(at: start, length: 4) ?? []
            throw WireError(.badMagic, "frame starts with \(got.map { String(format2: $0) }.joined(separator: " ")), expected 50 50 4f 57 (PPOW)")
        }
        // The header is all there (checked above), so these reads cannot fail.
        let version = buffer.getInteger(at: start + 4, endianness: .little, as: UInt16.self) ?? 0
        let rawType = buffer.getInteger(at: start + 6, as: UInt8.self) ?? 0
        let flags = buffer.getInteger(at: start + 7, as: UInt8.self) ?? 0
        let payloadLength = Int(buffer.getInteger(at: start + 8, endianness: .little, as: UInt32.self) ?? 0)
        let decodedLength = Int(buffer.getInteger(at: start + 12, endianness: .little, as: UInt32.self) ?? 0)
        let checksum = buffer.getInteger(at: start + 16, endianness: .little, as: UInt32.self) ?? 0
        guard version == WireProtocol.framingVersion else {
            throw WireError(.unsupportedVersion, "framing version \(version); this side speaks \(WireProtocol.framingVersion)")
        }
        guard let type = MessageType(rawValue: rawType) else {
            throw WireError(.unknownMessageType, "message type \(rawType)")
        }
        guard flags & ~compressedFlag == 0 else {
            throw WireError(.badFlags, "flags 0x\(String(flags, radix: 16)) set reserved bits")
        }
        guard payloadLength <= limits.maxFrameBytes else {
            throw WireError(.frameTooLarge, "\(type) payload of \(payloadLength) bytes, the limit is \(limits.maxFrameBytes)")
        }
        guard decodedLength <= limits.maxDecodedBytes else {
            throw WireError(.decodedTooLarge, "\(type) payload decodes to \(decodedLength) bytes, the limit is \(limits.maxDecodedBytes)")
        }
        let compressed = flags & compressedFlag != 0
        guard compressed || decodedLength == payloadLength else {
            throw WireError(.malformedPayload, "\(type): uncompressed payload of \(payloadLength) bytes declares \(decodedLength) decoded bytes")
        }
        guard buffer.readableBytes >= WireProtocol.headerSize + payloadLength else { return nil }

        guard let payload = buffer.getSlice(at: start + WireProtocol.headerSize, length: payloadLength) else { return nil }
        let actual = payload.withUnsafeReadableBytes { Compression.crc32($0) }
        guard actual == checksum else {
            buffer.moveReaderIndex(forwardBy: WireProtocol.headerSize + payloadLength)
            throw WireError(.checksumMismatch, "\(type) payload CRC-32 is \(hex(actual)), the header says \(hex(checksum))")
        }
        buffer.moveReaderIndex(forwardBy: WireProtocol.headerSize + payloadLength)
        let decoded: ByteBuffer
        if compressed {
            let bytes = try payload.withUnsafeReadableBytes { (raw) throws(WireError) in
                try Compression.decompress(raw, decodedLength: decodedLength)
            }
            decoded = ByteBuffer(bytes: bytes)
        } else {
            decoded = payload
        }
        return try MessageCodec.decodePayload(type, decoded)
    }

    private static func hex(_ v: UInt32) -> String {
        let s = String(v, radix: 16)
        return "0x" + String(repeating: "0", count: max(0, 8 - s.count)) + s
    }
}

extension String {
    /// Two lowercase hex digits.
    init(format2 byte: UInt8) {
        let s = String(byte, radix: 16)
        self = s.count == 1 ? "0" + s : s
    }
}

/// The inbound half of the codec: bytes → validated `Message`s. A frame that fails any check raises its
/// `WireError` through the pipeline (`errorCaught`) and delivers nothing; the connection's handler answers
/// with an `Error` message and closes.
public struct MessageDecoder: ByteToMessageDecoder {
    public typealias InboundOut = Message
    public let limits: WireLimits

    public init(limits: WireLimits = .default) {
        self.limits = limits
    }

    public mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let message = try Frame.decode(from: &buffer, limits: limits) else { return .needMoreData }
        context.fireChannelRead(Self.wrapInboundOut(message))
        return .continue
    }

    public mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        while try decode(context: context, buffer: &buffer) == .continue {}
        if buffer.readableBytes > 0 {
            let n = buffer.readableBytes
            buffer.moveReaderIndex(forwardBy: n)
            throw WireError(.truncated, "connection closed \(n) bytes into a frame")
        }
        return .needMoreData
    }
}

/// What a sender writes: a message to encode, or a frame already encoded — the same Weights frame goes to every
/// worker, so the learner compresses it once per version instead of once per connection.
public enum OutboundFrame: Sendable {
    case message(Message)
    case encoded(ByteBuffer)
}

/// What the outbound half turns into frame bytes.
public protocol FrameWritable {
    func write(compression: Frame.CompressionPolicy, into out: inout ByteBuffer)
}

extension Message: FrameWritable {
    public func write(compression: Frame.CompressionPolicy, into out: inout ByteBuffer) {
        Frame.encode(self, compression: compression, into: &out)
    }
}

extension OutboundFrame: FrameWritable {
    public func write(compression: Frame.CompressionPolicy, into out: inout ByteBuffer) {
        switch self {
        case .message(let m): m.write(compression: compression, into: &out)
        case .encoded(var bytes): out.writeBuffer(&bytes)
        }
    }
}

/// The outbound half: messages (or frames already encoded) → frame bytes, compressing as the policy says.
public struct FrameEncoder<Item: FrameWritable>: MessageToByteEncoder {
    public typealias OutboundIn = Item
    public let compression: Frame.CompressionPolicy

    public init(compression: Frame.CompressionPolicy = .default) {
        self.compression = compression
    }

    public func encode(data: Item, out: inout ByteBuffer) throws {
        data.write(compression: compression, into: &out)
    }
}

/// A worker's encoder: it writes `Message`s.
public typealias MessageEncoder = FrameEncoder<Message>
/// The learner's encoder: it writes `OutboundFrame`s.
public typealias OutboundFrameEncoder = FrameEncoder<OutboundFrame>

import Foundation
import NIOCore
import NIOEmbedded
import PPOCore
import Testing
@testable import Wire

/// One test per malformed case of PROTOCOL.md §2/§5: each gives its error code and delivers no message.
@Suite("Malformed frames")
struct MalformedFrameTests {
    /// Feeds `bytes` through the NIO decoder; returns the error raised and the messages delivered.
    static func feed(_ bytes: ByteBuffer, limits: WireLimits = .default, close: Bool = false) -> (WireError?, [Message]) {
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(MessageDecoder(limits: limits)))
        var error: WireError?
        do {
            try channel.writeInbound(bytes)
            if close { _ = try channel.finish() }
        } catch let e as WireError {
            error = e
        } catch {
            Issue.record("unexpected error \(error)")
        }
        var delivered: [Message] = []
        while let m = try? channel.readInbound(as: Message.self) { delivered.append(m) }
        if !close { _ = try? channel.finish() }
        return (error, delivered)
    }

    static func frame(_ m: Message, compression: Frame.CompressionPolicy = .default) -> [UInt8] {
        var b = Frame.encode(m, compression: compression)
        return b.readBytes(length: b.readableBytes) ?? []
    }

    /// Rewrites the CRC after a payload edit, so the edit reaches the message parser.
    static func fixCRC(_ bytes: inout [UInt8]) {
        let crc = bytes[20...].withUnsafeBytes { Compression.crc32($0) }
        withUnsafeBytes(of: crc.littleEndian) { for i in 0..<4 { bytes[16 + i] = $0[i] } }
    }

    static func expect(_ bytes: [UInt8], _ code: WireError.Code, mentioning: String? = nil, limits: WireLimits = .default,
                       close: Bool = false, sourceLocation: SourceLocation = #_sourceLocation) {
        let (error, delivered) = feed(ByteBuffer(bytes: bytes), limits: limits, close: close)
        #expect(error?.code == code, "got \(String(describing: error))", sourceLocation: sourceLocation)
        if let mentioning {
            #expect(error?.detail.contains(mentioning) == true, "\(String(describing: error)) does not mention \(mentioning)", sourceLocation: sourceLocation)
        }
        #expect(delivered.isEmpty, "a bad frame delivered \(delivered)", sourceLocation: sourceLocation)
    }

    @Test("truncated header: the connection closes mid-frame")
    func truncatedHeader() {
        Self.expect(Array(Self.frame(Samples.ready).prefix(11)), .truncated, close: true)
    }

    @Test("truncated payload")
    func truncatedPayload() {
        Self.expect(Array(Self.frame(Samples.welcome).dropLast(3)), .truncated, close: true)
    }

    @Test("bad magic")
    func badMagic() {
        var b = Self.frame(Samples.ready)
        b[0] = 0x47  // "GPOW"
        Self.expect(b, .badMagic)
        Self.expect(Array("GET / HTTP/1.1\r\nHost: x\r\n\r\n".utf8), .badMagic)
    }

    @Test("future protocol version")
    func futureVersion() {
        var b = Self.frame(Samples.ready)
        b[4] = 2
        Self.expect(b, .unsupportedVersion)
    }

    @Test("unknown message type")
    func unknownType() {
        var b = Self.frame(Samples.ready)
        b[6] = 77
        Self.expect(b, .unknownMessageType)
    }

    @Test("reserved flag bits")
    func reservedFlags() {
        var b = Self.frame(Samples.ready)
        b[7] = 0x80
        Self.expect(b, .badFlags)
    }

    @Test("length over the limit is refused from the header alone, before the payload arrives")
    func lengthOverLimit() {
        var b = Array(Self.frame(Samples.ready).prefix(20))
        withUnsafeBytes(of: UInt32(0xFFFF_FFF0).littleEndian) { for i in 0..<4 { b[8 + i] = $0[i] } }
        Self.expect(b, .frameTooLarge)
        let full = Self.frame(.batch(Samples.batch(k: 8, t: 64)))
        Self.expect(full, .frameTooLarge, limits: WireLimits(maxFrameBytes: 1000, maxDecodedBytes: 1 << 20))
    }

    @Test("CRC mismatch")
    func crcMismatch() {
        var b = Self.frame(Samples.grant)
        b[b.count - 1] ^= 0x01
        Self.expect(b, .checksumMismatch)
    }

    @Test("a zlib bomb: declared size over the limit, and a stream that inflates past its declared size")
    func zlibBomb() {
        // 64 MiB of zeros compresses to ~64 KiB.
        let zeros = [UInt8](repeating: 0, count: 64 << 20)
        let bomb = zeros.withUnsafeBytes { Compression.compress($0, level: 9) }
        var header = [UInt8]()
        header += WireProtocol.magic
        header += [1, 0, MessageType.batch.rawValue, 1]
        func le(_ v: UInt32) -> [UInt8] { withUnsafeBytes(of: v.littleEndian) { Array($0) } }
        let crc = bomb.withUnsafeBytes { Compression.crc32($0) }
        // Honest header: decoded length 64 MiB, over a 1 MiB limit.
        Self.expect(header + le(UInt32(bomb.count)) + le(64 << 20) + le(crc) + bomb, .decodedTooLarge,
                    limits: WireLimits(maxFrameBytes: 1 << 20, maxDecodedBytes: 1 << 20))
        // Lying header: claims 1000 decoded bytes; inflation stops at 1000 and fails.
        Self.expect(header + le(UInt32(bomb.count)) + le(1000) + le(crc) + bomb, .decompressionFailed,
                    limits: WireLimits(maxFrameBytes: 1 << 20, maxDecodedBytes: 1 << 20))
        // Garbage that is not zlib at all.
        let junk: [UInt8] = [1, 2, 3, 4, 5, 6, 7, 8]
        Self.expect(header + le(8) + le(100) + le(junk.withUnsafeBytes { Compression.crc32($0) }) + junk, .decompressionFailed)
    }

    @Test("a TLS record where a frame should start (a ClientHello, an alert) is named as a TLS mismatch at once, before a whole header arrives")
    func tlsRecord() throws {
        for record: [UInt8] in [[0x16, 0x03, 0x01, 0x02, 0x00], [0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x46]] {
            var buffer = ByteBuffer(bytes: record)
            do {
                _ = try Frame.decode(from: &buffer, limits: .default)
                Issue.record("\(record) was not refused")
            } catch {
                #expect(error.isTLSMismatch && error.code == .badMagic)
            }
        }
        var partial = ByteBuffer(bytes: WireProtocol.magic + [1, 0])  // a frame's start: wait for the rest
        #expect(try Frame.decode(from: &partial, limits: .default) == nil)
    }

    @Test("NaN and infinity in a batch")
    func nonFinite() {
        for bad in [Float.nan, .infinity, -.infinity] {
            var m = Samples.batch()
            m.batch.values[m.batch.index(env: 1, step: 2)] = bad
            Self.expect(Self.frame(.batch(m)), .invalidValue, mentioning: "values of env 1, step 2")
            var w = Samples.batch()
            w.batch.observations[w.batch.index(env: 0, step: 3, component: 2)] = bad
            Self.expect(Self.frame(.batch(w)), .invalidValue, mentioning: "observations of env 0, step 3 component 2")
        }
        guard case .weights(var weights) = Samples.weights else { return }
        weights.parameters[7] = .nan
        Self.expect(Self.frame(.weights(weights)), .invalidValue)
    }

    @Test("both termination flags, or reserved flag bits, on a transition")
    func badTransitionFlags() {
        var b = Self.frame(.batch(Samples.batch()), compression: .none)
        // flags column: after header(20) + 22 bytes of batch header + obs (8·4·4) + actions (8) + rewards (8·4)
        let flagsOffset = 20 + 4 + 8 + 2 + 4 + 2 + 1 + 2 + 4 + 4 + 8 * 4 * 4 + 8 + 8 * 4  // wire index 0 is transition 0
        b[flagsOffset] = 3
        Self.fixCRC(&b)
        Self.expect(b, .invalidValue, mentioning: "flags of env 0, step 0 = 3")
        b[flagsOffset] = 4
        Self.fixCRC(&b)
        Self.expect(b, .invalidValue, mentioning: "flags of env 0, step 0 = 4")
    }

    @Test("wrong observation width, action out of range, batch larger than its grant, wrong version")
    func semanticChecks() throws {
        let m = Samples.batch()  // K 2, T 4, observation 4, Discrete(2)
        let ok = BatchExpectation(envCount: 2, steps: 4, observationSize: 4, actionSpace: .discrete(2), policyVersion: 3)
        try m.validate(against: ok)
        func code(_ e: BatchExpectation, _ batch: BatchMessage = Samples.batch()) -> WireError.Code? {
            do { try batch.validate(against: e); return nil } catch { return error.code }
        }
        var e = ok
        e.observationSize = 6
        #expect(code(e) == .shapeMismatch)
        e = ok
        e.steps = 3
        #expect(code(e) == .grantExceeded)
        e = ok
        e.steps = 5
        #expect(code(e) == .shapeMismatch)
        e = ok
        e.policyVersion = 2
        #expect(code(e) == .invalidVersion)
        var outOfRange = Samples.batch()
        outOfRange.batch.actions[5] = 7
        #expect(code(ok, outOfRange) == .actionOutOfRange)
        e = ok
        e.actionSpace = .box(low: [-1], high: [1])
        #expect(code(e) == .shapeMismatch)
        // And through the decoder: a payload whose columns do not add up is malformed.
        var short = Self.frame(.batch(Samples.batch()), compression: .none)
        short[20 + 4 + 8] = 200  // num_envs 200: columns run past the payload
        Self.fixCRC(&short)
        Self.expect(short, .malformedPayload, mentioning: "200 envs")
    }

    @Test("bytes left over after the last field")
    func trailingBytes() {
        var b = Self.frame(Samples.ready, compression: .none)
        b += [0]
        withUnsafeBytes(of: UInt32(9).littleEndian) { for i in 0..<4 { b[8 + i] = $0[i]; b[12 + i] = $0[i] } }
        Self.fixCRC(&b)
        Self.expect(b, .malformedPayload)
    }

    @Test("a bad frame after good ones: the good ones are delivered, nothing of the bad one")
    func goodThenBad() {
        var bytes = Self.frame(Samples.ready) + Self.frame(Samples.grant)
        var bad = Self.frame(Samples.ack)
        bad[bad.count - 1] ^= 0xFF
        bytes += bad
        let (error, delivered) = Self.feed(ByteBuffer(bytes: bytes))
        #expect(error?.code == .checksumMismatch)
        #expect(delivered == [Samples.ready, Samples.grant])
    }
}

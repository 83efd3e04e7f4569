import Foundation
import NIOCore
import PPOCore
import Testing
@testable import Wire

/// Version 3's policy heads in the Welcome and index actions of several components in a Batch (PROTOCOL.md §4.2,
/// §5.2): what round-trips, and what a receiver refuses before anything reaches a network or the trainer.
@Suite("Policy heads and index actions")
struct IndexActionTests {
    @Test("a Welcome round-trips every head, and its parameter count is the network's", arguments: [
        PolicyHead.categorical(segments: [2]), .categorical(segments: [3, 300, 1]), .gaussian(dimension: 6), .bernoulli(count: 9),
    ])
    func welcomeHeads(head: PolicyHead) throws {
        guard case .welcome(var w) = Samples.multiDiscreteWelcome else { Issue.record("not a Welcome"); return }
        w.network.head = head
        w.parameterCount = w.impliedParameterCount
        let expected = ActorCritic.parameterCount(observationSize: 4, hiddenSizes: [32], head: head)
        #expect(w.parameterCount == expected)
        #expect(try WireCodecTests.roundTrip(.welcome(w)) == .welcome(w))
        w.parameterCount += 1
        MalformedFrameTests.expect(MalformedFrameTests.frame(.welcome(w)), .shapeMismatch, mentioning: "parameter_count")
    }

    /// The Welcome of `Samples.multiDiscreteWelcome` with its head's bytes (kind, count 2, segments 3 and 300)
    /// replaced by `head`.
    static func welcome(withHeadBytes head: [UInt8]) throws -> [UInt8] {
        var bytes = MalformedFrameTests.frame(Samples.multiDiscreteWelcome, compression: .none)
        let original: [UInt8] = [0, 2, 0, 3, 0, 0, 0, 0x2C, 0x01, 0, 0]
        let start = try #require((20..<bytes.count - original.count).first { Array(bytes[$0..<$0 + original.count]) == original })
        bytes.replaceSubrange(start..<start + original.count, with: head)
        let length = UInt32(bytes.count - 20).littleEndian
        withUnsafeBytes(of: length) { for i in 0..<4 { bytes[8 + i] = $0[i]; bytes[12 + i] = $0[i] } }
        MalformedFrameTests.fixCRC(&bytes)
        return bytes
    }

    @Test("a head with an empty segment, no segments, one choice in all, or an unknown kind is refused, naming it")
    func badHeads() throws {
        MalformedFrameTests.expect(try Self.welcome(withHeadBytes: [0, 2, 0, 3, 0, 0, 0, 0, 0, 0, 0]), .malformedPayload, mentioning: "segment 1 has 0 choices")
        MalformedFrameTests.expect(try Self.welcome(withHeadBytes: [0, 0, 0]), .malformedPayload, mentioning: "no segments")
        MalformedFrameTests.expect(try Self.welcome(withHeadBytes: [0, 1, 0, 1, 0, 0, 0]), .malformedPayload, mentioning: "1 choice cannot act")
        MalformedFrameTests.expect(try Self.welcome(withHeadBytes: [3, 2, 0, 0, 0]), .malformedPayload, mentioning: "head_kind 3")
        MalformedFrameTests.expect(try Self.welcome(withHeadBytes: [2, 0, 0, 0, 0]), .malformedPayload, mentioning: "bernoulli count 0")
        // 65,535 choices in all at most: two segments of 40,000.
        MalformedFrameTests.expect(try Self.welcome(withHeadBytes: [0, 2, 0, 0x40, 0x9C, 0, 0, 0x40, 0x9C, 0, 0]), .malformedPayload, mentioning: "65535 in all")
    }

    @Test("a MultiDiscrete batch: u16 indices of two components pass; a component out of its own range, float actions or another component count are refused")
    func multiDiscreteBatch() throws {
        let m = Samples.batch(space: .multiDiscrete([3, 300]))
        #expect(m.actionEncoding == .uint16Index && m.batch.actionSize == 2)
        let ok = BatchExpectation(envCount: 2, steps: 4, observationSize: 4, actionSpace: .multiDiscrete([3, 300]), policyVersion: 3)
        try m.validate(against: ok)
        func refusal(_ e: BatchExpectation, _ batch: BatchMessage) -> WireError? {
            do { try batch.validate(against: e); return nil } catch { return error }
        }
        var wrong = m
        wrong.batch.actions[8 + 5] = 300  // component 1 of transition 5 (component-major: 8 transitions per component)
        let error = try #require(refusal(ok, wrong))
        #expect(error.code == .actionOutOfRange && error.detail.contains("component 1 = 300") && error.detail.contains("300 choices"))
        wrong = m
        wrong.batch.actions[2] = 3  // component 0 has 3 choices
        #expect(refusal(ok, wrong)?.code == .actionOutOfRange)
        var e = ok
        e.actionSpace = .multiDiscrete([3, 300, 2])
        #expect(refusal(e, m)?.code == .shapeMismatch)
        e.actionSpace = .box(low: [-1, -1], high: [1, 1])
        #expect(refusal(e, m)?.code == .shapeMismatch)
        e.actionSpace = .discrete(3)
        #expect(refusal(e, m)?.code == .shapeMismatch)
    }

    @Test("a MultiBinary batch: u8 bits pass; a 2 is refused")
    func multiBinaryBatch() throws {
        let m = Samples.batch(space: .multiBinary(3))
        #expect(m.actionEncoding == .uint8Index && m.batch.actionSize == 3)
        let ok = BatchExpectation(envCount: 2, steps: 4, observationSize: 4, actionSpace: .multiBinary(3), policyVersion: 3)
        try m.validate(against: ok)
        var wrong = m
        wrong.batch.actions[20] = 2
        #expect(throws: WireError.self) { try wrong.validate(against: ok) }
    }

    @Test("index actions of several components are decoded only when the payload holds all of them")
    func shortIndexColumn() {
        var bytes = MalformedFrameTests.frame(.batch(Samples.batch(space: .multiDiscrete([3, 300]))), compression: .none)
        let sizeOffset = 20 + 4 + 8 + 2 + 4 + 2 + 1  // action_size
        bytes[sizeOffset] = 0xFF
        bytes[sizeOffset + 1] = 0x7F  // 32,767 components
        MalformedFrameTests.fixCRC(&bytes)
        MalformedFrameTests.expect(bytes, .malformedPayload, mentioning: "actions need")
    }
}

/// Version 5's network description in the Welcome (PROTOCOL.md §4.2): a convolutional network round-trips, and one
/// that cannot be built is refused before a worker sizes anything by it.
@Suite("Convolutional networks in the Welcome")
struct ConvolutionalWelcomeTests {
    static func welcome(_ change: (inout NetworkSpec) -> Void) throws -> Welcome {
        guard case .welcome(var w) = Samples.convolutionalWelcome else { throw WireError(.malformedPayload, "not a Welcome") }
        change(&w.network)
        return w
    }

    static func withImage(_ change: @escaping (inout ImageLayout) -> Void) -> (inout NetworkSpec) -> Void {
        { network in
            guard case .convolutional(var image, let convolutions, let hidden) = network.body else { return }
            change(&image)
            network.body = .convolutional(image: image, convolutions: convolutions, hidden: hidden)
        }
    }

    @Test("it round-trips, and its parameter count is the description's")
    func roundTrip() throws {
        let w = try Self.welcome { _ in }
        #expect(w.parameterCount == w.network.parameterCount && w.parameterCount > 1_600_000)
        #expect(try WireCodecTests.roundTrip(.welcome(w)) == .welcome(w))
    }

    @Test("a kernel larger than what reaches it, an image outside the observation, a scale of 0 are refused, naming them")
    func refusals() throws {
        let tooLarge = try Self.welcome { network in
            network.body = .convolutional(image: ImageLayout(offset: 2, height: 84, width: 84, channels: 4, channelsFirst: true, scale: 1 / 255),
                                          convolutions: [.init(outChannels: 8, kernel: 85, stride: 1)], hidden: 16)
        }
        MalformedFrameTests.expect(MalformedFrameTests.frame(.welcome(tooLarge)), .shapeMismatch, mentioning: "does not fit its input")
        let outside = try Self.welcome(Self.withImage { $0.offset = 3 })
        MalformedFrameTests.expect(MalformedFrameTests.frame(.welcome(outside)), .shapeMismatch, mentioning: "does not fit in an observation")
        let faint = try Self.welcome(Self.withImage { $0.scale = .leastNonzeroMagnitude })
        #expect(try WireCodecTests.roundTrip(.welcome(faint)) == .welcome(faint), "a scale a float32 holds, however small")
        let unscaled = try Self.welcome(Self.withImage { $0.scale = 0 })
        MalformedFrameTests.expect(MalformedFrameTests.frame(.welcome(unscaled)), .malformedPayload, mentioning: "input_scale")
    }
}

/// Version 5's byte components in a Batch (PROTOCOL.md §5.2): an image's values travel as one byte each.
@Suite("Image bytes in a Batch")
struct ImageBytesTests {
    @Test("an image's components travel as bytes and decode to the same floats; a value that is not a whole 0–255 keeps them f32")
    func bytes() throws {
        let message = Samples.imageBatch
        #expect(message.byteComponents == 1..<3)
        #expect(try WireCodecTests.roundTrip(.batch(message)) == .batch(message))
        let asFloats = BatchMessage(grantID: 12, actionEncoding: message.actionEncoding, batch: message.batch)
        #expect(MalformedFrameTests.frame(.batch(message), compression: .none).count
                == MalformedFrameTests.frame(.batch(asFloats), compression: .none).count - 3 * 2 * message.batch.count)
        for odd: Float in [255.5, 256, -1] {
            var batch = message.batch
            batch.observations[message.batch.count + 3] = odd
            let fallback = BatchMessage(grantID: 12, actionEncoding: message.actionEncoding, batch: batch, bytesWherePossible: 1..<3)
            #expect(fallback.byteComponents.isEmpty)
            #expect(try WireCodecTests.roundTrip(.batch(fallback)) == .batch(fallback))
        }
    }

    @Test("byte components outside the observation, or a start without a count, are refused before anything is read")
    func refusals() {
        /// The image batch's frame with byte_start and byte_count (after the 20-byte header and 23 bytes of fields)
        /// replaced.
        func frame(start: UInt32, count: UInt32) -> [UInt8] {
            var bytes = MalformedFrameTests.frame(.batch(Samples.imageBatch), compression: .none)
            withUnsafeBytes(of: start.littleEndian) { for i in 0..<4 { bytes[43 + i] = $0[i] } }
            withUnsafeBytes(of: count.littleEndian) { for i in 0..<4 { bytes[47 + i] = $0[i] } }
            MalformedFrameTests.fixCRC(&bytes)
            return bytes
        }
        #expect(frame(start: 1, count: 2) == MalformedFrameTests.frame(.batch(Samples.imageBatch), compression: .none))
        MalformedFrameTests.expect(frame(start: 3, count: 2), .malformedPayload, mentioning: "outside the observation's 4")
        MalformedFrameTests.expect(frame(start: 1, count: .max), .malformedPayload, mentioning: "outside the observation's 4")
        MalformedFrameTests.expect(frame(start: 2, count: 0), .malformedPayload, mentioning: "byte_start 2 with byte_count 0")
    }
}

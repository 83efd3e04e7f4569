import Testing

@testable import Training
import TestSupport

/// The protocol-buffers encoding, against the examples of protobuf.dev's encoding guide.
@Suite("Protocol buffers", .offThePool)
struct ProtobufWriterTests {
    @Test("varint, string, packed and negative fields as the encoding guide writes them")
    func guideExamples() {
        var w = ProtobufWriter()
        w.int(1, 150)
        #expect(w.bytes == [0x08, 0x96, 0x01])
        w = ProtobufWriter()
        w.string(2, "testing")
        #expect(w.bytes == [0x12, 0x07, 0x74, 0x65, 0x73, 0x74, 0x69, 0x6E, 0x67])
        w = ProtobufWriter()
        w.packedInts(4, [3, 270, 86942])
        #expect(w.bytes == [0x22, 0x06, 0x03, 0x8E, 0x02, 0x9E, 0xA7, 0x05])
        w = ProtobufWriter()
        w.int(1, -2)  // int64 −2: ten bytes of two's complement
        #expect(w.bytes == [0x08, 0xFE, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01])
        w = ProtobufWriter()
        w.message(3) { $0.int(1, 150) }
        #expect(w.bytes == [0x1A, 0x03, 0x08, 0x96, 0x01])
        w = ProtobufWriter()
        w.double(1, 1.0)
        #expect(w.bytes == [0x09, 0, 0, 0, 0, 0, 0, 0xF0, 0x3F])
        w = ProtobufWriter()
        w.float(2, 1.0)
        #expect(w.bytes == [0x15, 0, 0, 0x80, 0x3F])
    }
}

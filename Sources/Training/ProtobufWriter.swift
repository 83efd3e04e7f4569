/// The protocol-buffers wire encoding, as much of it as the project writes: TensorBoard's event records and the
/// ONNX export's model (varints, 64- and 32-bit floats, length-delimited fields: strings, bytes, nested messages,
/// packed repeated int64).
///
/// Why not apple/swift-protobuf: both only write, TensorBoard two messages and the export nine of onnx.proto's; the
/// generated code for onnx.proto and TensorBoard's protos (committed, since the plugin's first build takes about
/// 10 minutes here) would be thousands of lines plus a runtime library to build, against the eighty lines here. The
/// encoding rules are those of https://protobuf.dev/programming-guides/encoding/ ; the tests check bytes against
/// that page's examples, and `onnx.checker`, onnxruntime and TensorBoard's own reader read what this writes.
public struct ProtobufWriter {
    public private(set) var bytes: [UInt8] = []

    public init() {}

    /// Wire types (the low three bits of a field's tag).
    enum WireType: UInt64 {
        case varint = 0
        case fixed64 = 1
        case lengthDelimited = 2
        case fixed32 = 5
    }

    mutating func appendVarint(_ value: UInt64) {
        var v = value
        while v >= 0x80 {
            bytes.append(UInt8(v & 0x7F) | 0x80)
            v >>= 7
        }
        bytes.append(UInt8(v))
    }

    mutating func appendTag(_ field: Int, _ type: WireType) {
        appendVarint(UInt64(field) << 3 | type.rawValue)
    }

    /// An int64, int32 or enum field (negative values take ten bytes, as protobuf's two's complement varint).
    public mutating func int(_ field: Int, _ value: Int64) {
        appendTag(field, .varint)
        appendVarint(UInt64(bitPattern: value))
    }

    /// A double field (little-endian fixed 64 bits).
    public mutating func double(_ field: Int, _ value: Double) {
        appendTag(field, .fixed64)
        bytes += withUnsafeBytes(of: value.bitPattern.littleEndian, Array.init)
    }

    /// A float field (little-endian fixed 32 bits).
    public mutating func float(_ field: Int, _ value: Float) {
        appendTag(field, .fixed32)
        bytes += withUnsafeBytes(of: value.bitPattern.littleEndian, Array.init)
    }

    /// A bytes field.
    public mutating func bytes(_ field: Int, _ value: [UInt8]) {
        appendTag(field, .lengthDelimited)
        appendVarint(UInt64(value.count))
        bytes.append(contentsOf: value)
    }

    /// A string field (UTF-8).
    public mutating func string(_ field: Int, _ value: String) {
        bytes(field, Array(value.utf8))
    }

    /// A nested message field.
    public mutating func message(_ field: Int, _ build: (inout ProtobufWriter) -> Void) {
        var inner = ProtobufWriter()
        build(&inner)
        bytes(field, inner.bytes)
    }

    /// A packed repeated int64 field (one length-delimited run of varints).
    public mutating func packedInts(_ field: Int, _ values: [Int64]) {
        var inner = ProtobufWriter()
        for v in values { inner.appendVarint(UInt64(bitPattern: v)) }
        bytes(field, inner.bytes)
    }
}

import Foundation
import PPOCore

/// TensorBoard event files: what `--logdir` writes, readable by TensorBoard and `tensorboard.backend.event_processing`.
///
/// A file is a sequence of TFRecords — u64 length, masked CRC-32C of the length, the data, masked CRC-32C of the
/// data (little-endian) — each holding a serialized `tensorflow.Event` protobuf. The first event carries
/// `file_version = "brain.Event:2"`; each scalar is an event with `wall_time`, `step` and a `Summary` of one
/// `Value { tag, simple_value }`.
public final class TensorBoardWriter {
    public let url: URL
    private let handle: FileHandle

    /// Creates `events.out.tfevents.<seconds>.<host>.<pid>` in `directory`.
    public init(directory: URL) throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let host = ProcessInfo.processInfo.hostName.replacingOccurrences(of: "/", with: "_")
        url = directory.appendingPathComponent("events.out.tfevents.\(Int(Date().timeIntervalSince1970)).\(host).\(getpid())")
        _ = FileManager.default.createFile(atPath: url.path, contents: nil)
        handle = try FileHandle(forWritingTo: url)
        var first = ProtobufWriter()
        first.double(1, Date().timeIntervalSince1970)
        first.string(3, "brain.Event:2")
        try write(record: first.bytes)
    }

    deinit { try? handle.close() }

    /// Appends one scalar at `step`.
    public func scalar(_ tag: String, _ value: Double, step: Int) throws {
        var v = ProtobufWriter()
        v.string(1, tag)
        v.float(2, Float(value))
        var summary = ProtobufWriter()
        summary.bytes(1, v.bytes)
        var event = ProtobufWriter()
        event.double(1, Date().timeIntervalSince1970)
        event.int(2, Int64(step))
        event.bytes(5, summary.bytes)
        try write(record: event.bytes)
    }

    /// Makes what was written visible to readers (TensorBoard reads while a run goes).
    public func flush() throws { try handle.synchronize() }

    private func write(record data: [UInt8]) throws {
        var out: [UInt8] = []
        let length = withUnsafeBytes(of: UInt64(data.count).littleEndian) { Array($0) }
        out += length
        out += withUnsafeBytes(of: CRC32C.masked(length).littleEndian) { Array($0) }
        out += data
        out += withUnsafeBytes(of: CRC32C.masked(data).littleEndian) { Array($0) }
        try handle.write(contentsOf: out)
    }
}

/// Reads the scalars back from an event file (tests, tools); checks both CRCs of every record.
public enum TensorBoardReader {
    public struct Scalar: Equatable, Sendable {
        public var tag: String
        public var step: Int
        public var value: Float
    }

    public struct Corrupt: Error, CustomStringConvertible {
        public let description: String
    }

    public static func scalars(in url: URL) throws -> (fileVersion: String?, scalars: [Scalar]) {
        let bytes = [UInt8](try Data(contentsOf: url))
        var offset = 0
        var version: String?
        var out: [Scalar] = []
        func u32(_ at: Int) -> UInt32 { (0..<4).reduce(UInt32(0)) { $0 | UInt32(bytes[at + $1]) << (8 * UInt32($1)) } }
        while offset < bytes.count {
            guard offset + 12 <= bytes.count else { throw Corrupt(description: "record header cut at byte \(offset)") }
            let lengthBytes = Array(bytes[offset..<(offset + 8)])
            let length = Int((0..<8).reduce(UInt64(0)) { $0 | UInt64(lengthBytes[$1]) << (8 * UInt64($1)) })
            guard u32(offset + 8) == CRC32C.masked(lengthBytes) else { throw Corrupt(description: "length CRC mismatch at byte \(offset)") }
            let start = offset + 12
            guard length >= 0, start + length + 4 <= bytes.count else { throw Corrupt(description: "record cut at byte \(offset)") }
            let data = Array(bytes[start..<(start + length)])
            guard u32(start + length) == CRC32C.masked(data) else { throw Corrupt(description: "data CRC mismatch at byte \(offset)") }
            offset = start + length + 4
            var step = 0
            var summary: [UInt8]?
            for (field, value) in try ProtoReader.fields(data) {
                switch (field, value) {
                case (2, .varint(let v)): step = Int(Int64(bitPattern: v))
                case (3, .bytes(let b)): version = String(decoding: b, as: UTF8.self)
                case (5, .bytes(let b)): summary = b
                default: break
                }
            }
            guard let summary else { continue }
            for (field, value) in try ProtoReader.fields(summary) {
                guard field == 1, case .bytes(let v) = value else { continue }
                var tag = ""
                var simple: Float?
                for (f, x) in try ProtoReader.fields(v) {
                    switch (f, x) {
                    case (1, .bytes(let b)): tag = String(decoding: b, as: UTF8.self)
                    case (2, .fixed32(let bits)): simple = Float(bitPattern: bits)
                    default: break
                    }
                }
                if let simple { out.append(Scalar(tag: tag, step: step, value: simple)) }
            }
        }
        return (version, out)
    }
}

enum ProtoValue {
    case varint(UInt64)
    case fixed64(UInt64)
    case fixed32(UInt32)
    case bytes([UInt8])
}

enum ProtoReader {
    static func fields(_ b: [UInt8]) throws -> [(Int, ProtoValue)] {
        var i = 0
        var out: [(Int, ProtoValue)] = []
        func varint() throws -> UInt64 {
            var v: UInt64 = 0
            var shift: UInt64 = 0
            while true {
                guard i < b.count, shift < 64 else { throw TensorBoardReader.Corrupt(description: "bad varint") }
                let byte = b[i]
                i += 1
                v |= UInt64(byte & 0x7F) << shift
                if byte < 0x80 { return v }
                shift += 7
            }
        }
        while i < b.count {
            let key = try varint()
            let field = Int(key >> 3)
            switch key & 7 {
            case 0: out.append((field, .varint(try varint())))
            case 1:
                guard i + 8 <= b.count else { throw TensorBoardReader.Corrupt(description: "cut fixed64") }
                out.append((field, .fixed64((0..<8).reduce(UInt64(0)) { $0 | UInt64(b[i + $1]) << (8 * UInt64($1)) })))
                i += 8
            case 2:
                let n = Int(try varint())
                guard n >= 0, i + n <= b.count else { throw TensorBoardReader.Corrupt(description: "cut bytes") }
                out.append((field, .bytes(Array(b[i..<(i + n)]))))
                i += n
            case 5:
                guard i + 4 <= b.count else { throw TensorBoardReader.Corrupt(description: "cut fixed32") }
                out.append((field, .fixed32((0..<4).reduce(UInt32(0)) { $0 | UInt32(b[i + $1]) << (8 * UInt32($1)) })))
                i += 4
            default: throw TensorBoardReader.Corrupt(description: "unknown wire type \(key & 7)")
            }
        }
        return out
    }
}

/// CRC-32C (Castagnoli), and TFRecord's masking of it.
enum CRC32C {
    static let table: [UInt32] = (0..<256).map { n in
        var c = UInt32(n)
        for _ in 0..<8 { c = c & 1 != 0 ? 0x82F6_3B78 ^ (c >> 1) : c >> 1 }
        return c
    }

    static func checksum(_ bytes: [UInt8]) -> UInt32 {
        var c: UInt32 = 0xFFFF_FFFF
        for b in bytes { c = table[Int((c ^ UInt32(b)) & 0xFF)] ^ (c >> 8) }
        return c ^ 0xFFFF_FFFF
    }

    static func masked(_ bytes: [UInt8]) -> UInt32 {
        let c = checksum(bytes)
        return ((c >> 15) | (c << 17)) &+ 0xA282_EAD8
    }
}

extension TensorBoardWriter {
    /// The scalars of one update, under CleanRL's tag names.
    public func log(update s: UpdateStatistics, envSteps: Int, stepsPerSecond: Double, recentReturn: Double?) throws {
        if let r = recentReturn { try scalar("charts/episodic_return", r, step: envSteps) }
        try scalar("charts/SPS", stepsPerSecond, step: envSteps)
        try scalar("charts/learning_rate", s.learningRate, step: envSteps)
        try scalar("losses/policy_loss", s.policyLoss, step: envSteps)
        try scalar("losses/value_loss", s.valueLoss, step: envSteps)
        try scalar("losses/entropy", s.entropy, step: envSteps)
        try scalar("losses/approx_kl", s.approxKL, step: envSteps)
        try scalar("losses/clipfrac", s.clipFraction, step: envSteps)
        if s.explainedVariance.isFinite { try scalar("losses/explained_variance", s.explainedVariance, step: envSteps) }
        try flush()
    }
}

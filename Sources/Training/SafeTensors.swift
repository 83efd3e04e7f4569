import Foundation

/// The safetensors file format (Hugging Face): an 8-byte little-endian header length, a JSON header naming each
/// tensor's dtype, shape and byte range, optional `__metadata__` (string → string), then the raw little-endian
/// tensor bytes. Python's `safetensors` and PyTorch read it directly.
public enum SafeTensors {
    /// A tensor to write or one that was read. Values are kept as Double only for F64 tensors.
    public enum Tensor: Equatable, Sendable {
        case f32([Float], shape: [Int])
        case f64([Double], shape: [Int])

        public var shape: [Int] {
            switch self {
            case .f32(_, let shape), .f64(_, let shape): shape
            }
        }

        var dtype: String {
            switch self {
            case .f32: "F32"
            case .f64: "F64"
            }
        }

        var byteCount: Int {
            switch self {
            case .f32(let v, _): v.count * 4
            case .f64(let v, _): v.count * 8
            }
        }

        public var floats: [Float]? {
            if case .f32(let v, _) = self { return v }
            return nil
        }

        public var doubles: [Double]? {
            if case .f64(let v, _) = self { return v }
            return nil
        }
    }

    /// Why a file could not be read as safetensors. Nothing is returned from a file with any of these.
    public enum FormatError: Error, Equatable, CustomStringConvertible {
        case tooShort(Int)
        case headerTooLarge(UInt64, fileSize: Int)
        case headerNotJSON(String)
        case badEntry(String, reason: String)

        public var description: String {
            switch self {
            case .tooShort(let n): "not a safetensors file: \(n) bytes, shorter than its 8-byte header length"
            case .headerTooLarge(let n, let size): "not a safetensors file: header of \(n) bytes in a file of \(size) bytes"
            case .headerNotJSON(let reason): "safetensors header is not a JSON object: \(reason)"
            case .badEntry(let name, let reason): "safetensors tensor '\(name)': \(reason)"
            }
        }
    }

    /// Encodes tensors (written in name order) and metadata.
    public static func encode(_ tensors: [String: Tensor], metadata: [String: String]) -> Data {
        var header: [String: Any] = [:]
        if !metadata.isEmpty { header["__metadata__"] = metadata }
        var offset = 0
        let names = tensors.keys.sorted()
        for name in names {
            guard let t = tensors[name] else { continue }
            header[name] = ["dtype": t.dtype, "shape": t.shape, "data_offsets": [offset, offset + t.byteCount]]
            offset += t.byteCount
        }
        // JSONSerialization of [String: Any] built from strings and integers cannot fail.
        var json = (try? JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])) ?? Data("{}".utf8)
        // Pad with spaces so the data starts 8-byte aligned, as the reference implementation does.
        while (json.count % 8) != 0 { json.append(UInt8(ascii: " ")) }
        var out = Data(capacity: 8 + json.count + offset)
        withUnsafeBytes(of: UInt64(json.count).littleEndian) { out.append(contentsOf: $0) }
        out.append(json)
        for name in names {
            switch tensors[name] {
            case .f32(let v, _)?: v.withUnsafeBytes { out.append(contentsOf: $0) }
            case .f64(let v, _)?: v.withUnsafeBytes { out.append(contentsOf: $0) }
            case nil: break
            }
        }
        return out
    }

    /// Decodes a whole file, checking every size and offset before reading any tensor.
    public static func decode(_ data: Data, maxHeaderBytes: Int = 100 << 20) throws(FormatError) -> (tensors: [String: Tensor], metadata: [String: String]) {
        guard data.count >= 8 else { throw .tooShort(data.count) }
        let headerLength = data.prefix(8).enumerated().reduce(UInt64(0)) { $0 | (UInt64($1.element) << (8 * UInt64($1.offset))) }
        guard headerLength <= UInt64(data.count - 8), headerLength <= UInt64(maxHeaderBytes) else {
            throw .headerTooLarge(headerLength, fileSize: data.count)
        }
        let headerEnd = 8 + Int(headerLength)
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: data.subdata(in: 8..<headerEnd))
        } catch {
            throw .headerNotJSON(error.localizedDescription)
        }
        guard let header = object as? [String: Any] else { throw .headerNotJSON("top level is not an object") }
        var metadata: [String: String] = [:]
        if let meta = header["__metadata__"] {
            guard let m = meta as? [String: String] else { throw .badEntry("__metadata__", reason: "must map strings to strings") }
            metadata = m
        }
        let dataSize = data.count - headerEnd
        var tensors: [String: Tensor] = [:]
        for (name, entry) in header where name != "__metadata__" {
            guard let e = entry as? [String: Any], let dtype = e["dtype"] as? String,
                  let shape = e["shape"] as? [Int], let offsets = e["data_offsets"] as? [Int], offsets.count == 2 else {
                throw .badEntry(name, reason: "needs dtype, shape and two data_offsets")
            }
            guard shape.allSatisfy({ $0 >= 0 && $0 < 1 << 31 }) else { throw .badEntry(name, reason: "invalid shape \(shape)") }
            let (count, overflow) = shape.reduce((1, false)) { acc, d in
                let (p, o) = acc.0.multipliedReportingOverflow(by: d)
                return (p, acc.1 || o)
            }
            let width: Int
            switch dtype {
            case "F32": width = 4
            case "F64": width = 8
            default: throw .badEntry(name, reason: "dtype \(dtype) is not supported (F32, F64)")
            }
            let begin = offsets[0], end = offsets[1]
            guard !overflow, begin >= 0, end >= begin, end <= dataSize, end - begin == count * width else {
                throw .badEntry(name, reason: "byte range \(begin)..<\(end) does not hold shape \(shape) of \(dtype) within \(dataSize) data bytes")
            }
            let bytes = data.subdata(in: (headerEnd + begin)..<(headerEnd + end))
            switch width {
            case 4:
                var values = [Float](repeating: 0, count: count)
                values.withUnsafeMutableBytes { _ = bytes.copyBytes(to: $0) }
                tensors[name] = .f32(values.map { Float(bitPattern: UInt32(littleEndian: $0.bitPattern)) }, shape: shape)
            default:
                var values = [Double](repeating: 0, count: count)
                values.withUnsafeMutableBytes { _ = bytes.copyBytes(to: $0) }
                tensors[name] = .f64(values.map { Double(bitPattern: UInt64(littleEndian: $0.bitPattern)) }, shape: shape)
            }
        }
        return (tensors, metadata)
    }
}

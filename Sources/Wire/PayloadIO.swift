import NIOCore

/// Reads the fields of one payload, failing with `malformedPayload` on anything short or out of bounds.
/// Lengths are checked against what is left *before* anything is allocated.
struct PayloadReader {
    var buffer: ByteBuffer
    let message: MessageType

    init(_ buffer: ByteBuffer, message: MessageType) {
        self.buffer = buffer
        self.message = message
    }

    func fail(_ what: String) -> WireError {
        WireError(.malformedPayload, "\(message): \(what)")
    }

    mutating func integer<T: FixedWidthInteger>(_ name: String, as: T.Type = T.self) throws(WireError) -> T {
        guard let v = buffer.readInteger(endianness: .little, as: T.self) else {
            throw fail("payload ends before \(name)")
        }
        return v
    }

    mutating func double(_ name: String) throws(WireError) -> Double {
        Double(bitPattern: try integer(name, as: UInt64.self))
    }

    mutating func string(_ name: String, maxBytes: Int) throws(WireError) -> String {
        let n = Int(try integer("\(name) length", as: UInt16.self))
        guard n <= maxBytes else { throw fail("\(name) is \(n) bytes, at most \(maxBytes) allowed") }
        guard let bytes = buffer.readBytes(length: n) else { throw fail("payload ends inside \(name)") }
        guard let s = String(validating: bytes, as: UTF8.self) else { throw fail("\(name) is not valid UTF-8") }
        return s
    }

    /// Unshuffles `count` values of `width` bytes into `destination`; the caller has checked they are there.
    private mutating func readShuffled(count: Int, width: Int, into destination: UnsafeMutableRawPointer?) {
        guard let destination, count > 0 else { return }
        buffer.withUnsafeReadableBytes { raw in
            if let base = raw.baseAddress { Compression.unshuffle(base, count: count, width: width, into: destination) }
        }
        buffer.moveReaderIndex(forwardBy: count * width)
    }

    /// `count` shuffled f32 values, not yet checked.
    mutating func floats(_ name: String, count: Int) throws(WireError) -> [Float] {
        guard count >= 0, count <= buffer.readableBytes / 4 else {
            throw fail("\(name) needs \(count) floats, \(buffer.readableBytes) bytes left")
        }
        var values = [Float](repeating: 0, count: count)
        values.withUnsafeMutableBytes { readShuffled(count: count, width: 4, into: $0.baseAddress) }
        return values
    }

    /// `count` shuffled f32 values, each required to be finite.
    mutating func finiteFloats(_ name: String, count: Int) throws(WireError) -> [Float] {
        let values = try floats(name, count: count)
        if let bad = values.firstIndex(where: { !$0.isFinite }) {
            throw WireError(.invalidValue, "\(message): \(name)[\(bad)] is \(values[bad])")
        }
        return values
    }

    /// `count` shuffled f64 values, each required to be finite.
    mutating func finiteDoubles(_ name: String, count: Int) throws(WireError) -> [Double] {
        guard count >= 0, count <= buffer.readableBytes / 8 else {
            throw fail("\(name) needs \(count) doubles, \(buffer.readableBytes) bytes left")
        }
        var values = [Double](repeating: 0, count: count)
        values.withUnsafeMutableBytes { readShuffled(count: count, width: 8, into: $0.baseAddress) }
        if let bad = values.firstIndex(where: { !$0.isFinite }) {
            throw WireError(.invalidValue, "\(message): \(name)[\(bad)] is \(values[bad])")
        }
        return values
    }

    mutating func bytes(_ name: String, count: Int) throws(WireError) -> [UInt8] {
        guard count >= 0, let b = buffer.readBytes(length: count) else { throw fail("payload ends inside \(name)") }
        return b
    }

    /// A batch column of T·K transitions × `width` floats in the batch's own layout (§5.2: for each component,
    /// each env's T steps in a row), shuffled, each required to be finite; a bad value is named by env, step and
    /// component.
    mutating func finiteColumn(_ name: String, envs k: Int, steps t: Int, width: Int) throws(WireError) -> [Float] {
        let values = try floats(name, count: k * t * width)
        if let bad = values.firstIndex(where: { !$0.isFinite }) {
            let (env, step, d) = ((bad / t) % k, bad % t, bad / (k * t))
            let component = width > 1 ? " component \(d)" : ""
            throw WireError(.invalidValue, "\(message): \(name) of env \(env), step \(step)\(component) is \(values[bad])")
        }
        return values
    }

    func finish() throws(WireError) {
        guard buffer.readableBytes == 0 else { throw fail("\(buffer.readableBytes) bytes left over after the last field") }
    }
}

/// Writes the fields of one payload.
struct PayloadWriter {
    var buffer: ByteBuffer

    mutating func integer<T: FixedWidthInteger>(_ v: T) {
        buffer.writeInteger(v, endianness: .little)
    }

    mutating func double(_ v: Double) {
        integer(v.bitPattern)
    }

    /// A string, truncated to `maxBytes` at a character boundary.
    mutating func string(_ s: String, maxBytes: Int) {
        var bytes = Array(s.utf8)
        if bytes.count > maxBytes {
            var cut = maxBytes
            while cut > 0 && (bytes[cut] & 0xC0) == 0x80 { cut -= 1 }  // do not split a UTF-8 sequence
            bytes.removeSubrange(cut...)
        }
        integer(UInt16(bytes.count))
        buffer.writeBytes(bytes)
    }

    mutating func shuffled(_ source: UnsafeRawBufferPointer, count: Int, width: Int) {
        let n = count * width
        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: n) { out in
            if let dst = out.baseAddress, let src = source.baseAddress, n > 0 {
                Compression.shuffle(src, count: count, width: width, into: dst)
            }
            return n
        }
    }

    mutating func floats(_ values: [Float]) {
        values.withUnsafeBytes { shuffled($0, count: values.count, width: 4) }
    }

    mutating func doubles(_ values: [Double]) {
        values.withUnsafeBytes { shuffled($0, count: values.count, width: 8) }
    }
}

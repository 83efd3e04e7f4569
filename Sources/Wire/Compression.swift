import CZlib

/// zlib (RFC 1950) compression, CRC-32, and the byte shuffle of PROTOCOL.md §5.1.
public enum Compression {
    /// CRC-32 (zlib's polynomial) of `bytes`.
    public static func crc32(_ bytes: UnsafeRawBufferPointer) -> UInt32 {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return 0 }
        var crc: UInt = CZlib.crc32(0, nil, 0)
        var offset = 0
        // zlib takes a uInt length: feed at most 1 GiB at a time.
        while offset < bytes.count {
            let n = min(bytes.count - offset, 1 << 30)
            crc = CZlib.crc32(crc, base.assumingMemoryBound(to: Bytef.self) + offset, uInt(n))
            offset += n
        }
        return UInt32(truncatingIfNeeded: crc)
    }

    /// zlib-compresses `input` at `level` (1 = fastest).
    public static func compress(_ input: UnsafeRawBufferPointer, level: Int32) -> [UInt8] {
        let bound = Int(compressBound(uLong(input.count)))
        var output = [UInt8](repeating: 0, count: bound)
        var outLength = uLongf(bound)
        let status = output.withUnsafeMutableBufferPointer { out -> Int32 in
            guard let dst = out.baseAddress else { return Z_BUF_ERROR }
            let src = input.baseAddress?.assumingMemoryBound(to: Bytef.self)
            return compress2(dst, &outLength, src, uLong(input.count), level)
        }
        // compress2 into a buffer of compressBound bytes cannot fail except for a bad level or no memory.
        precondition(status == Z_OK, "zlib compress2 failed with status \(status)")
        output.removeSubrange(Int(outLength)...)
        return output
    }

    /// Inflates `input` into exactly `decodedLength` bytes, or fails: a corrupt stream, one that ends short, and
    /// one that would produce more (a decompression bomb) all throw `decompressionFailed`. Never allocates more
    /// than `decodedLength`.
    public static func decompress(_ input: UnsafeRawBufferPointer, decodedLength: Int) throws(WireError) -> [UInt8] {
        var output = [UInt8](repeating: 0, count: decodedLength)
        var stream = z_stream()
        guard inflateInit_(&stream, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw WireError(.decompressionFailed, "zlib could not initialise")
        }
        defer { inflateEnd(&stream) }
        let result: Int32 = output.withUnsafeMutableBufferPointer { out in
            stream.next_in = UnsafeMutablePointer(mutating: input.baseAddress?.assumingMemoryBound(to: Bytef.self))
            stream.avail_in = uInt(input.count)
            stream.next_out = out.baseAddress
            stream.avail_out = uInt(decodedLength)
            var status = inflate(&stream, Z_FINISH)
            // Z_BUF_ERROR with no room left but input remaining means the stream wants more output than declared.
            if status == Z_OK || status == Z_BUF_ERROR {
                status = stream.avail_out == 0 ? Z_BUF_ERROR : Z_DATA_ERROR
            }
            return status
        }
        switch result {
        case Z_STREAM_END:
            guard stream.total_out == uLong(decodedLength), stream.avail_in == 0 else {
                throw WireError(.decompressionFailed, "zlib stream produced \(stream.total_out) bytes with \(stream.avail_in) bytes of input left, declared \(decodedLength)")
            }
            return output
        case Z_BUF_ERROR:
            throw WireError(.decompressionFailed, "zlib stream inflates to more than the declared \(decodedLength) bytes")
        default:
            throw WireError(.decompressionFailed, "corrupt zlib stream (status \(result)): \(stream.msg.map { String(cString: $0) } ?? "ended early")")
        }
    }

    /// Byte-shuffles `count` values of `width` bytes from `source` into `destination` (same size): byte plane j
    /// holds byte j of every value.
    @inline(__always)
    public static func shuffle(_ source: UnsafeRawPointer, count: Int, width: Int, into destination: UnsafeMutableRawPointer) {
        transpose(source, rows: count, columns: width, into: destination)
    }

    /// Inverse of `shuffle`.
    @inline(__always)
    public static func unshuffle(_ source: UnsafeRawPointer, count: Int, width: Int, into destination: UnsafeMutableRawPointer) {
        transpose(source, rows: width, columns: count, into: destination)
    }

    /// Writes the `rows` × `columns` byte matrix at `source` (row-major) transposed into `destination`.
    @inline(__always)
    static func transpose(_ source: UnsafeRawPointer, rows: Int, columns: Int, into destination: UnsafeMutableRawPointer) {
        let src = source.assumingMemoryBound(to: UInt8.self)
        let dst = destination.assumingMemoryBound(to: UInt8.self)
        for column in 0..<columns {
            let out = dst + column * rows
            for row in 0..<rows { out[row] = src[row * columns + column] }
        }
    }
}

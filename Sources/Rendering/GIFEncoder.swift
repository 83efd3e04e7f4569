/// Animated GIF (GIF89a) from frames drawn with a palette: what `ppo eval --video` writes.
///
/// Why GIF: every browser plays it in an `<img>` (the status page shows it without a player), it needs no
/// codec library, and frames drawn with a few flat colours (the classic-control envs) compress well with LZW:
/// measured, a 500-step CartPole-v1 episode at 600×400 is 593 KB (1.2 KB a frame), 200 steps of Pendulum-v1 at
/// 500×500 215 KB. WebP and WebM would need libwebp or libvpx, which no Swift package here binds, or an encoder of
/// our own far larger than this one.
public struct GIFEncoder {
    public let width: Int
    public let height: Int
    /// Up to 256 RGB colours; a frame's pixels are indices into it.
    public let palette: [(UInt8, UInt8, UInt8)]
    /// Hundredths of a second per frame.
    public let delay: Int
    public private(set) var bytes: [UInt8] = []
    public private(set) var frames = 0

    public init(width: Int, height: Int, palette: [(UInt8, UInt8, UInt8)], delay: Int) {
        precondition(width > 0 && width < 65_536 && height > 0 && height < 65_536, "a GIF is 1–65535 pixels a side")
        precondition(!palette.isEmpty && palette.count <= 256, "a GIF palette has 1–256 colours")
        self.width = width
        self.height = height
        self.palette = palette
        self.delay = delay
        writeHeader()
    }

    /// Bits of a colour-table index: the table has 2^bits entries (at least 2 bits, as LZW's minimum code size).
    var indexBits: Int { max(2, Int.bitWidth - (palette.count - 1).leadingZeroBitCount) }

    private mutating func writeHeader() {
        bytes += Array("GIF89a".utf8)
        append16(width)
        append16(height)
        bytes.append(0x80 | UInt8(indexBits - 1) << 4 | UInt8(indexBits - 1))  // a global colour table of 2^bits
        bytes += [0, 0]  // background colour, aspect ratio
        for i in 0..<(1 << indexBits) {
            let c = i < palette.count ? palette[i] : (0, 0, 0)
            bytes += [c.0, c.1, c.2]
        }
        // NETSCAPE2.0: loop forever.
        bytes += [0x21, 0xFF, 0x0B] + Array("NETSCAPE2.0".utf8) + [0x03, 0x01, 0x00, 0x00, 0x00]
    }

    /// Appends a frame of `width × height` palette indices, row by row.
    public mutating func add(frame pixels: [UInt8]) {
        precondition(pixels.count == width * height, "a frame is width × height indices")
        bytes += [0x21, 0xF9, 0x04, 0x00]  // graphic control: no transparency, no disposal
        append16(delay)
        bytes += [0x00, 0x00]
        bytes.append(0x2C)  // image descriptor: the whole canvas, no local table
        append16(0)
        append16(0)
        append16(width)
        append16(height)
        bytes.append(0)
        bytes.append(UInt8(indexBits))
        let data = LZW.encode(pixels, minimumCodeSize: indexBits)
        var offset = 0
        while offset < data.count {  // sub-blocks of at most 255 bytes
            let n = min(255, data.count - offset)
            bytes.append(UInt8(n))
            bytes += data[offset..<offset + n]
            offset += n
        }
        bytes.append(0)
        frames += 1
    }

    /// The file: the frames so far and the trailer.
    public var file: [UInt8] { bytes + [0x3B] }

    private mutating func append16(_ v: Int) {
        bytes.append(UInt8(v & 0xFF))
        bytes.append(UInt8((v >> 8) & 0xFF))
    }
}

/// GIF's variable-width LZW: codes from minimumCodeSize + 1 bits up to 12, a clear code when the table is full,
/// bits packed least significant first.
enum LZW {
    static func encode(_ input: [UInt8], minimumCodeSize: Int) -> [UInt8] {
        let clear = 1 << minimumCodeSize, end = clear + 1
        // (prefix code, index) → code + 1 (0: none), a flat table of 4096 × 2^minimumCodeSize entries (indices are
        // below that): a dictionary's hashing took 80 % of a CartPole video's time. The entries set since the last clear code are listed, so a clear
        // resets only those.
        let shift = minimumCodeSize
        var table = [UInt16](repeating: 0, count: 4096 << shift)
        var used: [Int] = []
        used.reserveCapacity(4096)
        var next = end + 1, width = minimumCodeSize + 1
        var out: [UInt8] = [], buffer = 0, bits = 0
        out.reserveCapacity(input.count / 2)
        func emit(_ code: Int) {
            buffer |= code << bits
            bits += width
            while bits >= 8 {
                out.append(UInt8(buffer & 0xFF))
                buffer >>= 8
                bits -= 8
            }
        }
        emit(clear)
        guard var prefix = input.first.map(Int.init) else { emit(end); return out }
        for byte in input.dropFirst() {
            let key = prefix << shift | Int(byte)
            let found = table[key]
            if found != 0 { prefix = Int(found) - 1; continue }
            emit(prefix)
            if next < 4096 {
                table[key] = UInt16(next + 1)
                used.append(key)
                // The decoder widens its codes once its table reaches 2^width: one code after we add it.
                if next == 1 << width, width < 12 { width += 1 }
                next += 1
            } else {
                emit(clear)
                for k in used { table[k] = 0 }
                used.removeAll(keepingCapacity: true)
                next = end + 1
                width = minimumCodeSize + 1
            }
            prefix = Int(byte)
        }
        emit(prefix)
        emit(end)
        if bits > 0 { out.append(UInt8(buffer & 0xFF)) }
        return out
    }
}

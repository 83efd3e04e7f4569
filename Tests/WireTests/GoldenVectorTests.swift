import Foundation
import NIOCore
import Testing
@testable import Wire

/// `Protocol/vectors/*.hex`: one frame per message type, decoded to the message it describes and re-encoded
/// byte for byte. `PPO_WRITE_VECTORS=1 swift test --filter GoldenVector` rewrites them (only when the protocol
/// changes on purpose).
@Suite("Golden vectors")
struct GoldenVectorTests {
    static var directory: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Protocol/vectors")
    }

    static func hex(_ bytes: [UInt8]) -> String {
        stride(from: 0, to: bytes.count, by: 32).map { start in
            bytes[start..<min(start + 32, bytes.count)].map { String(format2: $0) }.joined()
        }.joined(separator: "\n") + "\n"
    }

    static func parse(_ text: String) -> [UInt8]? {
        let digits = text.filter { !$0.isWhitespace }
        guard digits.count % 2 == 0 else { return nil }
        var bytes: [UInt8] = []
        var index = digits.startIndex
        while index < digits.endIndex {
            let next = digits.index(index, offsetBy: 2)
            guard let b = UInt8(digits[index..<next], radix: 16) else { return nil }
            bytes.append(b)
            index = next
        }
        return bytes
    }

    @Test("every vector decodes to its message and re-encodes to the same bytes", arguments: Samples.all.map(\.0))
    func vector(name: String) throws {
        let message = try #require(Samples.all.first { $0.0 == name }?.1)
        let url = Self.directory.appendingPathComponent("\(name).hex")
        var encoded = Frame.encode(message)
        let bytes = encoded.readBytes(length: encoded.readableBytes) ?? []
        if ProcessInfo.processInfo.environment["PPO_WRITE_VECTORS"] == "1" {
            try Self.hex(bytes).write(to: url, atomically: true, encoding: .utf8)
        }
        let text = try String(contentsOf: url, encoding: .utf8)
        let golden = try #require(Self.parse(text), "\(url.lastPathComponent) is not hex")
        var buffer = ByteBuffer(bytes: golden)
        let decoded = try Frame.decode(from: &buffer, limits: .default)
        #expect(decoded == message)
        #expect(buffer.readableBytes == 0)
        #expect(bytes == golden, "re-encoding \(name) differs from its vector")
    }

    @Test("every message type has a vector")
    func coverage() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: Self.directory.path).filter { $0.hasSuffix(".hex") }
        var types = Set<MessageType>()
        for file in files {
            let golden = try #require(Self.parse(try String(contentsOf: Self.directory.appendingPathComponent(file), encoding: .utf8)))
            types.insert(try #require(MessageType(rawValue: golden[6])))
        }
        #expect(types == Set(MessageType.allCases))
    }
}

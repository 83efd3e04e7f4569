import Testing

@testable import Rendering
import TestSupport

@Suite("Frames and GIFs", .offThePool)
struct RenderingTests {
    @Test("a filled square covers its area; shapes off the canvas draw nothing and do not trap")
    func canvas() {
        var c = Canvas(width: 20, height: 10)
        c.fillPolygon([(2, 2), (6, 2), (6, 6), (2, 6)], 1)
        #expect(c.pixels.filter { $0 == 1 }.count == 16)
        // Row 2..5 from the bottom are rows 4..7 from the top.
        #expect(c.pixels[7 * 20 + 2] == 1 && c.pixels[8 * 20 + 2] == 0)
        var off = Canvas(width: 20, height: 10)
        off.fillPolygon([(-50, -50), (-40, -50), (-40, -40)], 1)
        off.fillCircle(x: 100, y: 100, radius: 5, 1)
        off.line(-10, 50, 40, 50, thickness: 3, 1)
        #expect(off.pixels.allSatisfy { $0 == 0 })
    }

    @Test("every classic-control env is drawn at Gymnasium's size, and not blank; others are not drawn")
    func classicControl() throws {
        let cases: [(String, [Float], Int, Int)] = [
            ("CartPole-v1", [0.1, 0, 0.05, 0], 600, 400), ("gym:Acrobot-v1", [1, 0, 1, 0, 0, 0], 500, 500),
            ("MountainCar-v0", [-0.5, 0], 600, 400), ("MountainCarContinuous-v0", [0.2, 0], 600, 400), ("Pendulum-v1", [0, 1, 0], 500, 500),
        ]
        for (id, observation, width, height) in cases {
            let frame = try #require(ClassicControlRenderer.draw(id, observation: observation), "\(id)")
            #expect(frame.width == width && frame.height == height)
            #expect(Set(frame.pixels).count >= 2, "\(id) is blank")
        }
        #expect(ClassicControlRenderer.draw("gym:HalfCheetah-v5", observation: [0]) == nil)
        #expect(ClassicControlRenderer.draw("CartPole-v1", observation: [0]) == nil)
    }

    @Test("a GIF starts GIF89a with its size and palette, loops, and ends with the trailer")
    func gifLayout() {
        var gif = GIFEncoder(width: 3, height: 2, palette: [(255, 255, 255), (0, 0, 0), (9, 9, 9)], delay: 2)
        gif.add(frame: [0, 1, 2, 2, 1, 0])
        gif.add(frame: [1, 1, 1, 1, 1, 1])
        let file = gif.file
        #expect(Array(file.prefix(6)) == Array("GIF89a".utf8))
        #expect(file[6] == 3 && file[8] == 2 && file[10] == 0x80 | 0x10 | 0x01)  // 4-colour table: 2 bits
        #expect(Array(file[13..<22]) == [255, 255, 255, 0, 0, 0, 9, 9, 9])
        #expect(file.last == 0x3B && gif.frames == 2)
        #expect(file.count(where: { $0 == 0x2C }) >= 2)
    }

    @Test("LZW: the codes of a short run, as GIF's decoders read them")
    func lzw() {
        // Minimum code size 2: clear 4, end 5, first free code 6, 3-bit codes. Input 0 0 0 0:
        // emit 4 (clear), 0, then 6 (= "0 0"), then 0, then 5 (end): 100 000 110 000 101, packed low bits first.
        #expect(LZW.encode([0, 0, 0, 0], minimumCodeSize: 2) == [0b1000_0100, 0b0101_0001])
    }
}

/// A frame of palette indices with the few shapes the classic-control envs are drawn with: filled convex polygons,
/// circles and thick lines, in pixel coordinates with y pointing up (Gymnasium's pygame renderers draw that way,
/// then flip the image).
public struct Canvas {
    public let width: Int
    public let height: Int
    /// Row by row from the top, as a GIF frame.
    public private(set) var pixels: [UInt8]

    public init(width: Int, height: Int, background: UInt8 = 0) {
        self.width = width
        self.height = height
        pixels = [UInt8](repeating: background, count: width * height)
    }

    /// Sets the pixel at column `x`, row `y` counted from the bottom.
    @inline(__always)
    mutating func plot(_ x: Int, _ y: Int, _ colour: UInt8) {
        guard x >= 0, x < width, y >= 0, y < height else { return }
        pixels[(height - 1 - y) * width + x] = colour
    }

    /// Fills a convex polygon (its corners in order, either way round).
    public mutating func fillPolygon(_ corners: [(Double, Double)], _ colour: UInt8) {
        guard corners.count >= 3 else { return }
        let ys = corners.map(\.1)
        guard let low = ys.min(), let high = ys.max() else { return }
        for row in Self.span(Int(low.rounded(.down)), Int(high.rounded(.up)), within: height) {
            let y = Double(row) + 0.5
            var left = Double.infinity, right = -Double.infinity
            for i in corners.indices {
                let (x0, y0) = corners[i], (x1, y1) = corners[(i + 1) % corners.count]
                guard (y0 <= y && y < y1) || (y1 <= y && y < y0) else { continue }
                let x = x0 + (y - y0) / (y1 - y0) * (x1 - x0)
                left = min(left, x)
                right = max(right, x)
            }
            guard left <= right else { continue }
            for column in Self.span(Int((left - 0.5).rounded(.up)), Int((right - 0.5).rounded(.down)), within: width) {
                plot(column, row, colour)
            }
        }
    }

    /// Fills a circle.
    public mutating func fillCircle(x cx: Double, y cy: Double, radius r: Double, _ colour: UInt8) {
        guard r > 0 else { return }
        for row in Self.span(Int(cy - r), Int(cy + r) + 1, within: height) {
            let dy = Double(row) + 0.5 - cy
            let half = (r * r - dy * dy)
            guard half >= 0 else { continue }
            let dx = half.squareRoot()
            for column in Self.span(Int((cx - dx).rounded()), Int((cx + dx).rounded()), within: width) {
                plot(column, row, colour)
            }
        }
    }

    /// The indices from `low` to `high` that lie in 0..<size (empty when none do: a shape off the canvas).
    static func span(_ low: Int, _ high: Int, within size: Int) -> Range<Int> {
        let lo = max(0, low), hi = min(size - 1, high)
        return lo <= hi ? lo..<(hi + 1) : 0..<0
    }

    /// A line `thickness` pixels wide from (x0, y0) to (x1, y1).
    public mutating func line(_ x0: Double, _ y0: Double, _ x1: Double, _ y1: Double, thickness: Double, _ colour: UInt8) {
        let dx = x1 - x0, dy = y1 - y0
        let length = (dx * dx + dy * dy).squareRoot()
        guard length > 0 else { return }
        let nx = -dy / length * thickness / 2, ny = dx / length * thickness / 2
        fillPolygon([(x0 + nx, y0 + ny), (x1 + nx, y1 + ny), (x1 - nx, y1 - ny), (x0 - nx, y0 - ny)], colour)
    }

    /// A rectangle of `length` × `thickness` starting at (x, y), turned by `angle` radians (counter-clockwise from +x).
    public mutating func bar(x: Double, y: Double, length: Double, thickness: Double, angle: Double, _ colour: UInt8) {
        line(x, y, x + length * cos(angle), y + length * sin(angle), thickness: thickness, colour)
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Where an image sits in the flat observation and how the convolutional encoder reads it.
///
/// The flat observation is `gymnasium.spaces.flatten`'s vector: an image key's values appear in the env's own
/// axis order at `offset`. The encoder takes channels-first planes, (C, H, W); an image the env gives channels-last,
/// (H, W, C), is permuted on the way in, and a 2-D one is one channel. Its values are multiplied by `scale` first
/// (1/255 for 0–255 pixels, 1 for 0/1 planes).
public struct ImageLayout: Sendable, Equatable, Hashable, Codable, CustomStringConvertible {
    /// Index of the image's first value in the flat observation.
    public var offset: Int
    public var height: Int
    public var width: Int
    public var channels: Int
    /// Whether the env gives (C, H, W) (as `FrameStackObservation` does, (4, 84, 84)) rather than (H, W, C).
    public var channelsFirst: Bool
    /// What every value is multiplied by before the first convolution.
    public var scale: Float

    public init(offset: Int, height: Int, width: Int, channels: Int, channelsFirst: Bool, scale: Float) {
        (self.offset, self.height, self.width, self.channels) = (offset, height, width, channels)
        (self.channelsFirst, self.scale) = (channelsFirst, scale)
    }

    /// The layout of an image of the env's `shape` (2 or 3 axes) at `offset`, whose values go up to `high` (255
    /// for pixels, 1 for 0/1 planes): the channel axis is the smallest, as Stable-Baselines3 finds it, and it being
    /// the first means channels-first. Nil for another number of axes, an empty axis, or `high` not positive.
    public init?(shape: [Int], offset: Int, high: Double) {
        guard shape.count == 2 || shape.count == 3, shape.allSatisfy({ $0 > 0 }), high > 0, high.isFinite, offset >= 0 else { return nil }
        let scale = Float(1 / high)
        guard shape.count == 3 else {
            self.init(offset: offset, height: shape[0], width: shape[1], channels: 1, channelsFirst: false, scale: scale)
            return
        }
        let first = shape[0] <= shape[1] && shape[0] <= shape[2]
        if first {
            self.init(offset: offset, height: shape[1], width: shape[2], channels: shape[0], channelsFirst: true, scale: scale)
        } else {
            self.init(offset: offset, height: shape[0], width: shape[1], channels: shape[2], channelsFirst: false, scale: scale)
        }
    }

    /// Values of the image: C·H·W.
    public var size: Int { height * width * channels }

    /// The flat observation's indices that are not the image's: the vector the encoder's features are joined with.
    public func vectorSize(observationSize: Int) -> Int { observationSize - size }

    /// Copies `rows` flat observations (rows, `observationSize`) into the encoder's inputs: the images as (C, H, W)
    /// planes into `images` (rows, C·H·W; not yet scaled), and every other value, in order, into `vectors` (rows,
    /// observationSize − C·H·W).
    public func split(
        _ observations: UnsafePointer<Float>, rows: Int, observationSize: Int,
        images: UnsafeMutablePointer<Float>, vectors: UnsafeMutablePointer<Float>
    ) {
        let imageSize = size, vectorSize = observationSize - imageSize, plane = height * width
        for r in 0..<rows {
            let source = observations + r * observationSize
            let image = source + offset, target = images + r * imageSize
            if channelsFirst || channels == 1 {
                target.update(from: image, count: imageSize)
            } else {
                for p in 0..<plane {
                    for c in 0..<channels { target[c * plane + p] = image[p * channels + c] }
                }
            }
            let vector = vectors + r * vectorSize
            vector.update(from: source, count: offset)
            (vector + offset).update(from: image + imageSize, count: vectorSize - offset)
        }
    }

    public var description: String {
        let axes = channels == 1 && !channelsFirst ? "\(height)×\(width)" : channelsFirst
            ? "\(channels)×\(height)×\(width) (channels first)" : "\(height)×\(width)×\(channels)"
        let scaling = scale == 1 ? "1" : abs(scale * 255 - 1) < 1e-6 ? "1/255" : "\(scale)"
        return "image \(axes) at value \(offset), scaled by \(scaling)"
    }
}

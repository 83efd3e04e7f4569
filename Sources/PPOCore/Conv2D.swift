import COpenBLAS

/// A 2-D convolution without padding, PyTorch's `Conv2d(in, out, kernel, stride)` with its layout (weight
/// `[out][in][k][k]`), on batches in (B, C, H, W) order.
///
/// The batch's patches are unfolded into one (C·k·k, B·Ho·Wo) matrix (im2col), each sample's Ho·Wo columns side by
/// side, and the output is one sgemm of the weight, seen as (O, C·k·k), by it — one large product rather than B
/// small ones — scattered back to (B, O, Ho, Wo). The backward pass is two sgemms — the weight's gradient from the
/// output's and the patches, the patches' gradient from the weight — and the patches' gradient folded back onto
/// the input (col2im, the adjoint of the unfolding). The unfolded patches of the last forward pass are kept for
/// the backward pass.
public final class Conv2D {
    public let inChannels: Int
    public let outChannels: Int
    public let kernel: Int
    public let stride: Int
    public let inHeight: Int
    public let inWidth: Int
    public let outHeight: Int
    public let outWidth: Int
    /// (out, in, k, k)
    public let weight: Parameter
    /// (out)
    public let bias: Parameter

    /// The last forward pass's patches (C·k·k, B·Ho·Wo), the product in that layout, and its gradients.
    private let patches = ScratchBuffer()
    private let product = ScratchBuffer()
    private let productGradient = ScratchBuffer()
    private let patchGradient = ScratchBuffer()
    private var lastBatch = 0

    /// A convolution of `inChannels` planes of `inHeight` × `inWidth`; the kernel must fit in the input.
    public init(inChannels: Int, outChannels: Int, kernel: Int, stride: Int, inHeight: Int, inWidth: Int, name: String) {
        precondition(inChannels > 0 && outChannels > 0 && stride > 0, "a convolution needs channels and a stride")
        precondition(kernel > 0 && kernel <= inHeight && kernel <= inWidth, "the kernel must fit in the input")
        Kernels.configureBLAS()
        self.inChannels = inChannels
        self.outChannels = outChannels
        self.kernel = kernel
        self.stride = stride
        self.inHeight = inHeight
        self.inWidth = inWidth
        outHeight = (inHeight - kernel) / stride + 1
        outWidth = (inWidth - kernel) / stride + 1
        weight = Parameter(name: "\(name).weight", shape: [outChannels, inChannels, kernel, kernel])
        bias = Parameter(name: "\(name).bias", shape: [outChannels])
    }

    /// Floats of one input sample, C·H·W, and of one output sample, O·Ho·Wo.
    public var inputSize: Int { inChannels * inHeight * inWidth }
    public var outputSize: Int { outChannels * outHeight * outWidth }
    private var patchSize: Int { inChannels * kernel * kernel }
    private var positions: Int { outHeight * outWidth }

    public var parameters: [Parameter] { [weight, bias] }

    /// y (B, O, Ho, Wo) = conv(x (B, C, H, W)) + bias.
    public func forward(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, batch: Int) {
        let k = patchSize, p = positions, width = batch * p
        let columns = patches.reserve(k * width)
        lastBatch = batch
        for b in 0..<batch { unfold(x + b * inputSize, into: columns + b * p, rowStride: width) }
        let out = product.reserve(outChannels * width)
        cblas_sgemm(
            CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(outChannels), Int32(width), Int32(k),
            1, weight.value, Int32(k), columns, Int32(width), 0, out, Int32(width))
        for b in 0..<batch {
            for o in 0..<outChannels {
                let source = out + o * width + b * p, destination = y + b * outputSize + o * p
                let bias = bias.value[o]
                for q in 0..<p { destination[q] = source[q] + bias }
            }
        }
    }

    /// After `forward` of the same batch, with dy (B, O, Ho, Wo): accumulates into the weight's and the bias's
    /// gradients and, if wanted, writes dx (B, C, H, W).
    public func backward(dy: UnsafePointer<Float>, dx: UnsafeMutablePointer<Float>?, batch: Int) {
        precondition(batch == lastBatch, "backward needs the batch of the last forward pass")
        let k = patchSize, p = positions, width = batch * p
        let g = productGradient.reserve(outChannels * width)
        for b in 0..<batch {
            for o in 0..<outChannels { (g + o * width + b * p).update(from: dy + b * outputSize + o * p, count: p) }
        }
        cblas_sgemm(
            CblasRowMajor, CblasNoTrans, CblasTrans, Int32(outChannels), Int32(k), Int32(width),
            1, g, Int32(width), patches.pointer, Int32(width), 1, weight.grad, Int32(k))
        for o in 0..<outChannels {
            var sum: Float = 0
            for q in 0..<width { sum += g[o * width + q] }
            bias.grad[o] += sum
        }
        guard let dx else { return }
        let columnGradient = patchGradient.reserve(k * width)
        cblas_sgemm(
            CblasRowMajor, CblasTrans, CblasNoTrans, Int32(k), Int32(width), Int32(outChannels),
            1, weight.value, Int32(k), g, Int32(width), 0, columnGradient, Int32(width))
        for b in 0..<batch { fold(columnGradient + b * p, rowStride: width, into: dx + b * inputSize) }
    }

    /// One sample's patches: row (c, i, j) of `column` (rows `rowStride` apart) holds x[c][oh·s + i][ow·s + j] at
    /// column oh·Wo + ow.
    func unfold(_ x: UnsafePointer<Float>, into column: UnsafeMutablePointer<Float>, rowStride: Int) {
        forEachPatchRow { row, plane, i, j in
            let out = column + row * rowStride
            for oh in 0..<outHeight {
                let source = x + plane + (oh * stride + i) * inWidth + j
                let destination = out + oh * outWidth
                for ow in 0..<outWidth { destination[ow] = source[ow * stride] }
            }
        }
    }

    /// The adjoint of `unfold`: dx is zeroed, then each entry of `column` is added to the pixel it was read from.
    func fold(_ column: UnsafePointer<Float>, rowStride: Int, into dx: UnsafeMutablePointer<Float>) {
        dx.update(repeating: 0, count: inputSize)
        forEachPatchRow { row, plane, i, j in
            let source = column + row * rowStride
            for oh in 0..<outHeight {
                let destination = dx + plane + (oh * stride + i) * inWidth + j
                let values = source + oh * outWidth
                for ow in 0..<outWidth { destination[ow * stride] += values[ow] }
            }
        }
    }

    /// Calls `body(row, planeOffset, i, j)` for each patch row (c, i, j) in order, the plane's offset being c·H·W.
    @inline(__always)
    private func forEachPatchRow(_ body: (Int, Int, Int, Int) -> Void) {
        var row = 0
        for c in 0..<inChannels {
            for i in 0..<kernel {
                for j in 0..<kernel {
                    body(row, c * inHeight * inWidth, i, j)
                    row += 1
                }
            }
        }
    }
}

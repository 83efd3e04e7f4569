/// A fully connected layer `y = x·Wᵀ + b` with PyTorch's layout (`weight` is `[out, in]`).
public final class Linear {
    public let inFeatures: Int
    public let outFeatures: Int
    /// (out, in)
    public let weight: Parameter
    /// (out)
    public let bias: Parameter

    public init(inFeatures: Int, outFeatures: Int, name: String) {
        // Every BLAS call goes through a Linear: choosing the OpenBLAS kernels here, once per process, means no
        // call can run while they are being switched, and every layer computes with the same kernels.
        Kernels.configureBLAS()
        self.inFeatures = inFeatures
        self.outFeatures = outFeatures
        weight = Parameter(name: "\(name).weight", shape: [outFeatures, inFeatures])
        bias = Parameter(name: "\(name).bias", shape: [outFeatures])
    }

    /// x is (B, in), y is (B, out).
    @inline(__always)
    public func forward(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, batch: Int) {
        Kernels.linearForward(
            x: x, weight: weight.value, bias: bias.value, y: y,
            batch: batch, inFeatures: inFeatures, outFeatures: outFeatures)
    }

    /// x is the forward input (B, in), dy (B, out); accumulates into weight.grad / bias.grad and writes dx (B, in).
    @inline(__always)
    public func backward(
        _ x: UnsafePointer<Float>, dy: UnsafePointer<Float>, dx: UnsafeMutablePointer<Float>?, batch: Int
    ) {
        Kernels.linearBackward(
            x: x, weight: weight.value, dy: dy, dWeight: weight.grad, dBias: bias.grad, dx: dx,
            batch: batch, inFeatures: inFeatures, outFeatures: outFeatures)
    }

    public var parameters: [Parameter] { [weight, bias] }
}

/// The nonlinearity between hidden layers.
public enum Activation: String, Codable, Sendable, CaseIterable {
    case tanh
    case relu

    /// y = f(x) in place.
    @inline(__always)
    func forward(_ x: UnsafeMutablePointer<Float>, count: Int) {
        switch self {
        case .tanh: Kernels.tanhInPlace(x, count: count)
        case .relu: Kernels.reluInPlace(x, count: count)
        }
    }

    /// dy ← dy ⊙ f'(x), expressed through the output y = f(x).
    @inline(__always)
    func backward(dy: UnsafeMutablePointer<Float>, y: UnsafePointer<Float>, count: Int) {
        switch self {
        case .tanh: Kernels.tanhBackwardInPlace(dy: dy, y: y, count: count)
        case .relu: Kernels.reluBackwardInPlace(dy: dy, y: y, count: count)
        }
    }
}

/// A multilayer perceptron `Linear → f → Linear → f → … → Linear` (no activation after the last layer),
/// named like PyTorch's `nn.Sequential` (`actor.0`, `actor.2`, `actor.4`: activations take the odd indices).
///
/// Activations of the last forward pass are kept for the backward pass. Buffers grow to the largest batch
/// seen and are reused, so steady-state training allocates nothing.
public final class MLP {
    public let layers: [Linear]
    public let activation: Activation
    public let inputSize: Int
    public let outputSize: Int

    /// acts[0] is a copy of the input (B, in); acts[i] is the (post-activation) output of layer i-1.
    private let acts: [ScratchBuffer]
    /// dActs[i] is the gradient with respect to acts[i].
    private let dActs: [ScratchBuffer]
    private var lastBatch = 0

    /// sizes = [in, hidden..., out].
    public init(sizes: [Int], activation: Activation, name: String) {
        precondition(sizes.count >= 2 && sizes.allSatisfy { $0 > 0 }, "an MLP needs positive input and output sizes")
        var layers: [Linear] = []
        for i in 0..<(sizes.count - 1) {
            layers.append(Linear(inFeatures: sizes[i], outFeatures: sizes[i + 1], name: "\(name).\(2 * i)"))
        }
        self.layers = layers
        self.activation = activation
        self.inputSize = sizes[0]
        self.outputSize = sizes[sizes.count - 1]
        acts = sizes.map { _ in ScratchBuffer() }
        dActs = sizes.map { _ in ScratchBuffer() }
    }

    public var parameters: [Parameter] { layers.flatMap(\.parameters) }

    /// x is (B, in); returns a pointer to the output (B, out), valid until the next forward.
    @discardableResult
    public func forward(_ x: UnsafePointer<Float>, batch: Int) -> UnsafeMutablePointer<Float> {
        lastBatch = batch
        let input = acts[0].reserve(batch * inputSize)
        input.update(from: x, count: batch * inputSize)
        for (i, layer) in layers.enumerated() {
            let out = acts[i + 1].reserve(batch * layer.outFeatures)
            layer.forward(acts[i].pointer, into: out, batch: batch)
            if i < layers.count - 1 {
                activation.forward(out, count: batch * layer.outFeatures)
            }
        }
        return acts[layers.count].pointer
    }

    /// dOut is (B, out) for the batch of the last forward; accumulates parameter gradients.
    public func backward(_ dOut: UnsafePointer<Float>) {
        let batch = lastBatch
        let top = dActs[layers.count].reserve(batch * outputSize)
        top.update(from: dOut, count: batch * outputSize)
        for i in stride(from: layers.count - 1, through: 0, by: -1) {
            let layer = layers[i]
            let dx: UnsafeMutablePointer<Float>? = i > 0 ? dActs[i].reserve(batch * layer.inFeatures) : nil
            layer.backward(acts[i].pointer, dy: dActs[i + 1].pointer, dx: dx, batch: batch)
            if let dx {
                activation.backward(dy: dx, y: acts[i].pointer, count: batch * layer.inFeatures)
            }
        }
    }
}

/// How network weights are initialised.
public enum Initialization: String, Codable, Sendable, CaseIterable {
    /// PyTorch's `nn.Linear` default: weight and bias ~ U(−1/√fan_in, 1/√fan_in) (kaiming_uniform with a=√5).
    /// The seed's choice.
    case pytorchDefault = "pytorch-default"
    /// Orthogonal weights with gain √2 on hidden layers, 0.01 on the policy output and 1 on the value output;
    /// zero biases (the PPO implementation details of Engstrom et al. / Huang et al., CleanRL's `layer_init`).
    case orthogonal

    /// Initialises every layer of `mlp`; `outputGain` is the orthogonal gain of its last layer.
    func apply(to mlp: MLP, outputGain: Double, rng: inout RNG) {
        for (i, layer) in mlp.layers.enumerated() {
            switch self {
            case .pytorchDefault:
                let bound = 1.0 / Double(layer.inFeatures).squareRoot()
                for k in 0..<layer.weight.count { layer.weight.value[k] = Float(rng.uniform(-bound, bound)) }
                for k in 0..<layer.bias.count { layer.bias.value[k] = Float(rng.uniform(-bound, bound)) }
            case .orthogonal:
                let gain = i == mlp.layers.count - 1 ? outputGain : 2.0.squareRoot()
                let q = Self.orthogonalMatrix(rows: layer.outFeatures, columns: layer.inFeatures, rng: &rng)
                for k in 0..<layer.weight.count { layer.weight.value[k] = Float(gain * q[k]) }
                layer.bias.value.update(repeating: 0, count: layer.bias.count)
            }
        }
    }

    /// Orthogonal values of `gain` for `weight`, seen as `rows` rows of its other axes (a convolution's
    /// (out, in·k·k)), as `torch.nn.init.orthogonal_`; the parameter's bias is left as it is (zero when new).
    public static func orthogonal(_ weight: Parameter, rows: Int, gain: Double, rng: inout RNG) {
        let columns = weight.count / rows
        let q = orthogonalMatrix(rows: rows, columns: columns, rng: &rng)
        for k in 0..<weight.count { weight.value[k] = Float(gain * q[k]) }
    }

    /// A (rows, columns) matrix, row-major, with orthonormal rows or columns (whichever are fewer), like
    /// `torch.nn.init.orthogonal_`: QR of a Gaussian matrix with the signs fixed by diag(R). Modified Gram–Schmidt
    /// yields R with a positive diagonal, which is exactly that sign convention.
    public static func orthogonalMatrix(rows: Int, columns: Int, rng: inout RNG) -> [Double] {
        // Work on a tall matrix (m ≥ n) column by column, transposing at the end if rows < columns.
        let m = max(rows, columns)
        let n = min(rows, columns)
        var cols = [[Double]](repeating: [], count: n)
        for j in 0..<n { cols[j] = (0..<m).map { _ in rng.normal() } }
        for j in 0..<n {
            for k in 0..<j {
                var dot = 0.0
                for i in 0..<m { dot += cols[k][i] * cols[j][i] }
                for i in 0..<m { cols[j][i] -= dot * cols[k][i] }
            }
            var norm = 0.0
            for i in 0..<m { norm += cols[j][i] * cols[j][i] }
            norm = norm.squareRoot()
            for i in 0..<m { cols[j][i] /= norm }
        }
        var out = [Double](repeating: 0, count: rows * columns)
        for r in 0..<rows {
            for c in 0..<columns {
                // Tall case: Q is (rows, columns) = cols as columns. Wide case: Qᵀ.
                out[r * columns + c] = rows >= columns ? cols[c][r] : cols[r][c]
            }
        }
        return out
    }
}

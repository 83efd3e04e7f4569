#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The categorical distribution over `n` discrete actions, parameterised by logits (as `Categorical(logits=)`).
///
/// log π(a) = l_a − logsumexp(l);  H = −Σ_j p_j log p_j.
/// Gradients: ∂log π(a)/∂l_j = [j = a] − p_j;  ∂H/∂l_j = −p_j (log p_j + H).
public enum Categorical {
    /// logits (B, n), actions (B) as float indices; writes logProb (B), entropy (B) and logSoftmax (B, n).
    public static func evaluate(
        logits: UnsafePointer<Float>, actions: UnsafePointer<Float>, batch: Int, n: Int,
        logProb: UnsafeMutablePointer<Float>, entropy: UnsafeMutablePointer<Float>,
        logSoftmax: UnsafeMutablePointer<Float>
    ) {
        for b in 0..<batch {
            let row = logits + b * n
            let lsm = logSoftmax + b * n
            logSoftmaxRow(row, n: n, into: lsm)
            var h: Float = 0
            for j in 0..<n { h -= expf(lsm[j]) * lsm[j] }
            entropy[b] = h
            logProb[b] = lsm[Int(actions[b])]
        }
    }

    /// dLogits (B, n) = dLogProb_b · (onehot(a_b) − p_b) + dEntropy_b · (−p_b ⊙ (log p_b + H_b)).
    public static func backward(
        actions: UnsafePointer<Float>, logSoftmax: UnsafePointer<Float>, entropy: UnsafePointer<Float>,
        dLogProb: UnsafePointer<Float>, dEntropy: UnsafePointer<Float>, batch: Int, n: Int,
        dLogits: UnsafeMutablePointer<Float>
    ) {
        for b in 0..<batch {
            let lsm = logSoftmax + b * n
            let out = dLogits + b * n
            let a = Int(actions[b])
            for j in 0..<n {
                let p = expf(lsm[j])
                let dlp = ((j == a ? 1 : 0) - p) * dLogProb[b]
                let dh = -p * (lsm[j] + entropy[b]) * dEntropy[b]
                out[j] = dlp + dh
            }
        }
    }

    /// Samples an action index from one row of logits (n), returning it with its log-probability.
    @inline(__always)
    public static func sample(logits: UnsafePointer<Float>, n: Int, rng: inout RNG) -> (action: Int, logProb: Float) {
        var maxLogit = logits[0]
        for j in 1..<max(n, 1) { maxLogit = max(maxLogit, logits[j]) }
        var total: Float = 0
        for j in 0..<n { total += expf(logits[j] - maxLogit) }
        let logTotal = logf(total)
        let u = rng.uniformFloat() * total
        var cumulative: Float = 0
        var chosen = n - 1
        for j in 0..<n {
            cumulative += expf(logits[j] - maxLogit)
            if u < cumulative {
                chosen = j
                break
            }
        }
        return (chosen, logits[chosen] - maxLogit - logTotal)
    }

    /// The most probable action of one row of logits and its log-probability (deterministic evaluation).
    public static func mode(logits: UnsafePointer<Float>, n: Int) -> (action: Int, logProb: Float) {
        var best = 0
        for j in 1..<max(n, 1) where logits[j] > logits[best] { best = j }
        var total: Float = 0
        for j in 0..<n { total += expf(logits[j] - logits[best]) }
        return (best, -logf(total))
    }

    /// log-softmax of one row with the max subtracted for stability.
    @inline(__always)
    static func logSoftmaxRow(_ row: UnsafePointer<Float>, n: Int, into out: UnsafeMutablePointer<Float>) {
        var maxLogit = row[0]
        for j in 1..<max(n, 1) { maxLogit = max(maxLogit, row[j]) }
        var total: Float = 0
        for j in 0..<n { total += expf(row[j] - maxLogit) }
        let logTotal = logf(total) + maxLogit
        for j in 0..<n { out[j] = row[j] - logTotal }
    }
}

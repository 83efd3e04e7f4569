#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Categorical distributions over discrete actions, parameterised by logits (as `Categorical(logits=)`): one for
/// `Discrete(n)`, and one per segment of the logits for `MultiDiscrete(nvec)` (independent, as Stable-Baselines3's
/// `MultiCategoricalDistribution`: the log-probability and the entropy are sums over the segments).
///
/// Per segment: log π(a) = l_a − logsumexp(l);  H = −Σ_j p_j log p_j.
/// Gradients: ∂log π(a)/∂l_j = [j = a] − p_j;  ∂H/∂l_j = −p_j (log p_j + H), H the segment's own entropy.
public enum Categorical {
    /// logits (B, Σn) and actions (B, k) as float indices, for k = `segments.count` segments of n_i logits;
    /// writes logProb (B), entropy (B), logSoftmax (B, Σn) and each segment's entropy, segmentEntropy (B, k).
    public static func evaluate(
        logits: UnsafePointer<Float>, actions: UnsafePointer<Float>, batch: Int, segments: [Int],
        logProb: UnsafeMutablePointer<Float>, entropy: UnsafeMutablePointer<Float>,
        logSoftmax: UnsafeMutablePointer<Float>, segmentEntropy: UnsafeMutablePointer<Float>
    ) {
        let width = segments.reduce(0, +), k = segments.count
        for b in 0..<batch {
            var offset = b * width
            // −0 is the identity of addition (+0 + −0 is +0), so one segment's sums are its figures bit for bit.
            var lp: Float = -0.0, h: Float = -0.0
            for (i, n) in segments.enumerated() {
                let lsm = logSoftmax + offset
                logSoftmaxRow(logits + offset, n: n, into: lsm)
                var hi: Float = 0
                for j in 0..<n { hi -= expf(lsm[j]) * lsm[j] }
                segmentEntropy[b * k + i] = hi
                h += hi
                lp += lsm[Int(actions[b * k + i])]
                offset += n
            }
            entropy[b] = h
            logProb[b] = lp
        }
    }

    /// dLogits (B, Σn), per segment: dLogProb_b · (onehot(a_b) − p_b) + dEntropy_b · (−p_b ⊙ (log p_b + H_b)).
    public static func backward(
        actions: UnsafePointer<Float>, logSoftmax: UnsafePointer<Float>, segmentEntropy: UnsafePointer<Float>,
        dLogProb: UnsafePointer<Float>, dEntropy: UnsafePointer<Float>, batch: Int, segments: [Int],
        dLogits: UnsafeMutablePointer<Float>
    ) {
        let width = segments.reduce(0, +), k = segments.count
        for b in 0..<batch {
            var offset = b * width
            for (i, n) in segments.enumerated() {
                let lsm = logSoftmax + offset
                let out = dLogits + offset
                let a = Int(actions[b * k + i])
                let h = segmentEntropy[b * k + i]
                for j in 0..<n {
                    let p = expf(lsm[j])
                    let dlp = ((j == a ? 1 : 0) - p) * dLogProb[b]
                    let dh = -p * (lsm[j] + h) * dEntropy[b]
                    out[j] = dlp + dh
                }
                offset += n
            }
        }
    }

    /// One action of k segments from one row of logits (Σn) into `action` (k), sampled or (`deterministic`) the
    /// most probable in each segment; returns its log-probability.
    @inline(__always)
    public static func act(
        logits: UnsafePointer<Float>, segments: [Int], deterministic: Bool, rng: inout RNG,
        into action: UnsafeMutablePointer<Float>
    ) -> Float {
        var offset = 0, lp: Float = -0.0  // the identity of addition, as in `evaluate`
        for (i, n) in segments.enumerated() {
            let (a, segmentLogProb) = deterministic ? mode(logits: logits + offset, n: n) : sample(logits: logits + offset, n: n, rng: &rng)
            action[i] = Float(a)
            lp += segmentLogProb
            offset += n
        }
        return lp
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

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Independent Bernoulli distributions over binary actions (`MultiBinary(n)`), one logit each, as
/// Stable-Baselines3's `BernoulliDistribution` (`torch.distributions.Bernoulli(logits=)`): the log-probability
/// and the entropy are sums over the n components.
///
/// Per component, with p = σ(l) and softplus(x) = log(1 + eˣ):
/// log π(a) = −a·softplus(−l) − (1 − a)·softplus(l);  H = softplus(l) − p·l.
/// Gradients: ∂log π(a)/∂l = a − p;  ∂H/∂l = −l·p·(1 − p).
public enum Bernoulli {
    /// logits (B, n) and actions (B, n) of 0 or 1; writes logProb (B) and entropy (B).
    public static func evaluate(
        logits: UnsafePointer<Float>, actions: UnsafePointer<Float>, batch: Int, n: Int,
        logProb: UnsafeMutablePointer<Float>, entropy: UnsafeMutablePointer<Float>
    ) {
        for b in 0..<batch {
            var lp: Float = -0.0, h: Float = -0.0
            for i in (b * n)..<((b + 1) * n) {
                let (l, a) = (logits[i], actions[i])
                lp -= a * softplus(-l) + (1 - a) * softplus(l)
                h += softplus(l) - sigmoid(l) * l
            }
            logProb[b] = lp
            entropy[b] = h
        }
    }

    /// dLogits (B, n) = dLogProb_b · (a − p) + dEntropy_b · (−l·p·(1 − p)).
    public static func backward(
        logits: UnsafePointer<Float>, actions: UnsafePointer<Float>, dLogProb: UnsafePointer<Float>,
        dEntropy: UnsafePointer<Float>, batch: Int, n: Int, dLogits: UnsafeMutablePointer<Float>
    ) {
        for b in 0..<batch {
            for i in (b * n)..<((b + 1) * n) {
                let l = logits[i], p = sigmoid(l)
                dLogits[i] = dLogProb[b] * (actions[i] - p) + dEntropy[b] * (-l * p * (1 - p))
            }
        }
    }

    /// One action of n bits from one row of logits into `action`: each bit 1 with probability σ(l), or
    /// (`deterministic`) 1 where σ(l) > ½; returns its log-probability.
    @inline(__always)
    public static func act(
        logits: UnsafePointer<Float>, n: Int, deterministic: Bool, rng: inout RNG, into action: UnsafeMutablePointer<Float>
    ) -> Float {
        var lp: Float = -0.0
        for i in 0..<n {
            let l = logits[i]
            let bit: Float = deterministic ? (l > 0 ? 1 : 0) : (rng.uniformFloat() < sigmoid(l) ? 1 : 0)
            action[i] = bit
            lp -= bit * softplus(-l) + (1 - bit) * softplus(l)
        }
        return lp
    }

    /// log(1 + eˣ) without overflow.
    @inline(__always)
    static func softplus(_ x: Float) -> Float { max(x, 0) + log1pf(expf(-abs(x))) }

    @inline(__always)
    static func sigmoid(_ x: Float) -> Float { x >= 0 ? 1 / (1 + expf(-x)) : expf(x) / (1 + expf(x)) }
}

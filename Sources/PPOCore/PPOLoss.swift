#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The PPO objective on one minibatch, in the paper's order and CleanRL's names, with its gradient with respect
/// to the per-sample log-probabilities, entropies and values (the heads and networks take it from there).
///
///     logratio = newlogprob − oldlogprob;  ratio = exp(logratio)
///     pg_loss1 = −A·ratio;  pg_loss2 = −A·clamp(ratio, 1−ε, 1+ε);  pg_loss = mean(max(pg_loss1, pg_loss2))
///     v_loss   = ½·mean((V − R)²)            or, clipped, ½·mean(max((V − R)², (V_old + clamp(V − V_old, ±ε_v) − R)²))
///     loss     = pg_loss − ent_coef·mean(H) + vf_coef·v_loss
///
/// `max(pg_loss1, pg_loss2)` is the seed's `−min(surr1, surr2)`. Ties (ratio inside the clip range, where both
/// branches are equal) split the gradient half and half exactly as PyTorch's `minimum`/`maximum` do.
public enum PPOLoss {
    /// Hyper-parameters the loss needs.
    public struct Coefficients: Sendable {
        public var clip: Float
        public var valueClip: Float?
        public var value: Float
        public var entropy: Float

        public init(clip: Float, valueClip: Float?, value: Float, entropy: Float) {
            self.clip = clip
            self.valueClip = valueClip
            self.value = value
            self.entropy = entropy
        }

        public init(_ config: PPOConfig) {
            self.init(
                clip: Float(config.clipCoef), valueClip: config.valueClipCoef.map { Float($0) },
                value: Float(config.valueCoef), entropy: Float(config.entropyCoef))
        }
    }

    /// Scalar results of one minibatch.
    public struct Statistics: Sendable, Equatable {
        public var policyLoss: Float = 0
        public var valueLoss: Float = 0
        public var entropy: Float = 0
        public var totalLoss: Float = 0
        /// mean((ratio − 1) − log ratio), the low-variance KL estimator.
        public var approxKL: Float = 0
        /// Fraction of samples with |ratio − 1| > ε.
        public var clipFraction: Float = 0

        public init() {}
    }

    /// Computes the loss over `count` samples and writes ∂loss/∂newLogProb, ∂loss/∂entropy and ∂loss/∂newValue.
    /// Inputs are (B) columns; `advantages` are used as given (normalise before calling). The policy and value
    /// halves depend on disjoint inputs and write disjoint outputs, so the actor's and the critic's passes may run
    /// them on two threads (`policy`, `value`) with the same results.
    public static func compute(
        newLogProb: UnsafePointer<Float>, entropy: UnsafePointer<Float>, newValue: UnsafePointer<Float>,
        oldLogProb: UnsafePointer<Float>, advantages: UnsafePointer<Float>, returns: UnsafePointer<Float>,
        oldValues: UnsafePointer<Float>, count: Int, coefficients c: Coefficients,
        dNewLogProb: UnsafeMutablePointer<Float>, dEntropy: UnsafeMutablePointer<Float>,
        dNewValue: UnsafeMutablePointer<Float>
    ) -> Statistics {
        var s = policy(newLogProb: newLogProb, entropy: entropy, oldLogProb: oldLogProb, advantages: advantages, count: count,
                       coefficients: c, dNewLogProb: dNewLogProb, dEntropy: dEntropy)
        s.valueLoss = value(newValue: newValue, returns: returns, oldValues: oldValues, count: count, coefficients: c, dNewValue: dNewValue)
        return s.completed(c)
    }

    /// The clipped surrogate and the entropy bonus: every statistic but `valueLoss` and `totalLoss`.
    public static func policy(
        newLogProb: UnsafePointer<Float>, entropy: UnsafePointer<Float>, oldLogProb: UnsafePointer<Float>,
        advantages: UnsafePointer<Float>, count: Int, coefficients c: Coefficients,
        dNewLogProb: UnsafeMutablePointer<Float>, dEntropy: UnsafeMutablePointer<Float>
    ) -> Statistics {
        let n = Float(count)
        var pgSum: Float = 0
        var entSum: Float = 0
        var klSum: Float = 0
        var clipped = 0
        for i in 0..<count {
            let logratio = newLogProb[i] - oldLogProb[i]
            let ratio = expf(logratio)
            let a = advantages[i]
            let clampedRatio = min(max(ratio, 1 - c.clip), 1 + c.clip)
            let pgLoss1 = -a * ratio
            let pgLoss2 = -a * clampedRatio
            pgSum += max(pgLoss1, pgLoss2)
            // d max(l1, l2)/d ratio, with PyTorch's tie rule (half to each branch).
            let gradBranch1: Float = -a
            let gradBranch2: Float = (ratio >= 1 - c.clip && ratio <= 1 + c.clip) ? -a : 0
            let dRatio = maxGradient(pgLoss1, pgLoss2, gradBranch1, gradBranch2)
            dNewLogProb[i] = dRatio * ratio / n
            klSum += (ratio - 1) - logratio
            if abs(ratio - 1) > c.clip { clipped += 1 }
            entSum += entropy[i]
            dEntropy[i] = -c.entropy / n
        }
        var s = Statistics()
        s.policyLoss = pgSum / n
        s.entropy = entSum / n
        s.approxKL = klSum / n
        s.clipFraction = Float(clipped) / n
        return s
    }

    /// ½·mean((V − R)²), clipped around V_old when configured; writes ∂loss/∂newValue (with vf_coef).
    public static func value(
        newValue: UnsafePointer<Float>, returns: UnsafePointer<Float>, oldValues: UnsafePointer<Float>, count: Int,
        coefficients c: Coefficients, dNewValue: UnsafeMutablePointer<Float>
    ) -> Float {
        let n = Float(count)
        var vSum: Float = 0
        for i in 0..<count {
            let diff = newValue[i] - returns[i]
            guard let vc = c.valueClip else {
                vSum += diff * diff
                dNewValue[i] = c.value * diff / n
                continue
            }
            let delta = newValue[i] - oldValues[i]
            let vClipped = oldValues[i] + min(max(delta, -vc), vc)
            let diffClipped = vClipped - returns[i]
            let unclippedSq = diff * diff
            let clippedSq = diffClipped * diffClipped
            vSum += max(unclippedSq, clippedSq)
            let gradUnclipped = 2 * diff
            let gradClipped: Float = (delta >= -vc && delta <= vc) ? 2 * diffClipped : 0
            let dSq = maxGradient(unclippedSq, clippedSq, gradUnclipped, gradClipped)
            dNewValue[i] = c.value * 0.5 * dSq / n
        }
        return 0.5 * (vSum / n)
    }
}

extension PPOLoss {
    /// ∂ max(x, y) from the branches' gradients: the larger branch's, half of each on a tie (PyTorch's rule for
    /// `maximum`/`minimum`).
    @inline(__always)
    static func maxGradient(_ x: Float, _ y: Float, _ gx: Float, _ gy: Float) -> Float {
        if x > y { return gx }
        if y > x { return gy }
        return 0.5 * gx + 0.5 * gy
    }
}

extension PPOLoss.Statistics {
    /// With `valueLoss` set: the total loss, pg_loss − ent_coef·entropy + vf_coef·v_loss.
    func completed(_ c: PPOLoss.Coefficients) -> Self {
        var s = self
        s.totalLoss = s.policyLoss + c.value * s.valueLoss - c.entropy * s.entropy
        return s
    }
}

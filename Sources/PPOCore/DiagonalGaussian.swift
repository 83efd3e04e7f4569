#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A diagonal Gaussian over continuous actions: mean from the actor network, a state-independent log-std
/// parameter (one per action dimension), as in PPO's continuous-control setup.
///
/// log π(a) = Σ_d [−(a_d − μ_d)² / (2σ_d²) − log σ_d − ½ log 2π];  H = Σ_d (½ + ½ log 2π + log σ_d).
/// Gradients: ∂log π/∂μ_d = (a_d − μ_d)/σ_d²;  ∂log π/∂log σ_d = (a_d − μ_d)²/σ_d² − 1;  ∂H/∂log σ_d = 1.
public enum DiagonalGaussian {
    static let halfLog2Pi: Float = 0.918_938_533_204_672_7

    /// mean (B, D), logStd (D), actions (B, D); writes logProb (B) and entropy (B).
    public static func evaluate(
        mean: UnsafePointer<Float>, logStd: UnsafePointer<Float>, actions: UnsafePointer<Float>,
        batch: Int, dimension: Int, logProb: UnsafeMutablePointer<Float>, entropy: UnsafeMutablePointer<Float>
    ) {
        var h: Float = 0
        for d in 0..<dimension { h += 0.5 + halfLog2Pi + logStd[d] }
        for b in 0..<batch {
            var lp: Float = 0
            for d in 0..<dimension {
                let z = (actions[b * dimension + d] - mean[b * dimension + d]) * expf(-logStd[d])
                lp += -0.5 * z * z - logStd[d] - halfLog2Pi
            }
            logProb[b] = lp
            entropy[b] = h
        }
    }

    /// Writes dMean (B, D) and accumulates into dLogStd (D).
    public static func backward(
        mean: UnsafePointer<Float>, logStd: UnsafePointer<Float>, actions: UnsafePointer<Float>,
        dLogProb: UnsafePointer<Float>, dEntropy: UnsafePointer<Float>, batch: Int, dimension: Int,
        dMean: UnsafeMutablePointer<Float>, dLogStd: UnsafeMutablePointer<Float>
    ) {
        for d in 0..<dimension {
            let inverseVariance = expf(-2 * logStd[d])
            var gradLogStd: Float = 0
            for b in 0..<batch {
                let diff = actions[b * dimension + d] - mean[b * dimension + d]
                dMean[b * dimension + d] = dLogProb[b] * diff * inverseVariance
                gradLogStd += dLogProb[b] * (diff * diff * inverseVariance - 1) + dEntropy[b]
            }
            dLogStd[d] += gradLogStd
        }
    }

    /// Samples one action (D) from mean (D) into `action`, returning its log-probability. The sample is *not*
    /// clipped: the environment clips what it applies, the agent keeps the sample its log-prob belongs to.
    @inline(__always)
    public static func sample(
        mean: UnsafePointer<Float>, logStd: UnsafePointer<Float>, dimension: Int, rng: inout RNG,
        into action: UnsafeMutablePointer<Float>
    ) -> Float {
        var lp: Float = 0
        for d in 0..<dimension {
            action[d] = mean[d] + expf(logStd[d]) * Float(rng.normal())
            // The same expression as `evaluate`, so the first epoch's ratio is 1 up to rounding.
            let z = (action[d] - mean[d]) * expf(-logStd[d])
            lp += -0.5 * z * z - logStd[d] - halfLog2Pi
        }
        return lp
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Adam exactly as PyTorch's `torch.optim.Adam` (no weight decay, no AMSGrad), in Float:
///
///     m ← lerp(m, g, 1−β₁);  v ← β₂·v + (1−β₂)·g²
///     p ← p − (lr / (1−β₁ᵏ)) · m / (√v / √(1−β₂ᵏ) + ε)
///
/// with the bias corrections computed in Double as PyTorch does with Python floats.
public final class Adam {
    public let parameters: [Parameter]
    public var learningRate: Double
    public let beta1: Double
    public let beta2: Double
    public let eps: Double
    /// Number of steps taken (k of the last step).
    public private(set) var step: Int = 0
    /// First and second moments, one buffer per parameter (same order).
    public private(set) var firstMoments: [UnsafeMutablePointer<Float>]
    public private(set) var secondMoments: [UnsafeMutablePointer<Float>]

    /// Adam over `parameters` with the config's learning rate, betas and ε.
    public convenience init(parameters: [Parameter], config: PPOConfig) {
        self.init(parameters: parameters, learningRate: config.learningRate, beta1: config.adamBeta1, beta2: config.adamBeta2, eps: config.adamEps)
    }

    public init(parameters: [Parameter], learningRate: Double, beta1: Double = 0.9, beta2: Double = 0.999, eps: Double = 1e-8) {
        self.parameters = parameters
        self.learningRate = learningRate
        self.beta1 = beta1
        self.beta2 = beta2
        self.eps = eps
        firstMoments = parameters.map {
            let m = UnsafeMutablePointer<Float>.allocate(capacity: $0.count)
            m.initialize(repeating: 0, count: $0.count)
            return m
        }
        secondMoments = parameters.map {
            let v = UnsafeMutablePointer<Float>.allocate(capacity: $0.count)
            v.initialize(repeating: 0, count: $0.count)
            return v
        }
    }

    deinit {
        firstMoments.forEach { $0.deallocate() }
        secondMoments.forEach { $0.deallocate() }
    }

    /// One update of every parameter from its `grad`.
    public func update() {
        apply(beginStep(), to: parameters.indices)
    }

    /// What one step's update of every element needs: computed once per step, shared by the threads that update
    /// disjoint parameters (`apply`).
    public struct StepConstants: Sendable {
        let stepSize: Float
        let biasCorrection2Sqrt: Float
        let weight1: Float
        let b2: Float
        let oneMinusB2: Float
        let eps: Float
    }

    /// Counts a step and returns its constants; `apply` them to every parameter exactly once.
    public func beginStep() -> StepConstants {
        step += 1
        let k = Double(step)
        let biasCorrection1 = 1 - pow(beta1, k)
        let biasCorrection2 = 1 - pow(beta2, k)
        return StepConstants(
            stepSize: Float(learningRate / biasCorrection1), biasCorrection2Sqrt: Float(biasCorrection2.squareRoot()),
            weight1: Float(1 - beta1), b2: Float(beta2), oneMinusB2: Float(1 - beta2), eps: Float(eps))
    }

    /// Updates the parameters at `indices` from their `grad` with the step's constants. Disjoint index sets may
    /// be applied on different threads.
    public func apply(_ k: StepConstants, to indices: some Sequence<Int>) {
        for index in indices {
            let p = parameters[index]
            let m = firstMoments[index]
            let v = secondMoments[index]
            let g = p.grad
            let w = p.value
            // Eight lanes at a time (the scalar loop is not auto-vectorised: LLVM cannot rule out aliasing of
            // the four buffers), then the tail; both compute exactly the same expression per element.
            var i = 0
            let count = p.count
            while i + 8 <= count {
                let gi = UnsafeRawPointer(g + i).loadUnaligned(as: SIMD8<Float>.self)
                var mi = UnsafeRawPointer(m + i).loadUnaligned(as: SIMD8<Float>.self)
                var vi = UnsafeRawPointer(v + i).loadUnaligned(as: SIMD8<Float>.self)
                let wi = UnsafeRawPointer(w + i).loadUnaligned(as: SIMD8<Float>.self)
                // torch.lerp with weight < 0.5: self + weight·(end − self).
                mi = mi + k.weight1 * (gi - mi)
                vi = vi * k.b2 + k.oneMinusB2 * gi * gi
                let denom = vi.squareRoot() / k.biasCorrection2Sqrt + k.eps
                UnsafeMutableRawPointer(m + i).storeBytes(of: mi, as: SIMD8<Float>.self)
                UnsafeMutableRawPointer(v + i).storeBytes(of: vi, as: SIMD8<Float>.self)
                UnsafeMutableRawPointer(w + i).storeBytes(of: wi - k.stepSize * (mi / denom), as: SIMD8<Float>.self)
                i += 8
            }
            while i < count {
                let gi = g[i]
                m[i] = m[i] + k.weight1 * (gi - m[i])
                v[i] = v[i] * k.b2 + k.oneMinusB2 * gi * gi
                let denom = v[i].squareRoot() / k.biasCorrection2Sqrt + k.eps
                w[i] = w[i] - k.stepSize * (m[i] / denom)
                i += 1
            }
        }
    }

    /// Moments as arrays (for checkpoints and tests).
    public func moments(of index: Int) -> (first: [Float], second: [Float]) {
        let n = parameters[index].count
        return (Array(UnsafeBufferPointer(start: firstMoments[index], count: n)),
                Array(UnsafeBufferPointer(start: secondMoments[index], count: n)))
    }

    /// Restores the state written by `moments(of:)` and `step` (checkpoint resume).
    public func restore(step: Int, first: [[Float]], second: [[Float]]) {
        precondition(first.count == parameters.count && second.count == parameters.count, "Adam state for a different model")
        self.step = step
        for i in parameters.indices {
            precondition(first[i].count == parameters[i].count && second[i].count == parameters[i].count, "Adam state size mismatch")
            first[i].withUnsafeBufferPointer { if let b = $0.baseAddress { firstMoments[i].update(from: b, count: $0.count) } }
            second[i].withUnsafeBufferPointer { if let b = $0.baseAddress { secondMoments[i].update(from: b, count: $0.count) } }
        }
    }
}

/// Global gradient-norm clipping as PyTorch's `clip_grad_norm_`: total = ‖all grads‖₂;
/// coef = max_norm / (total + 1e-6); if coef < 1 every gradient is multiplied by it. Returns the total norm.
@discardableResult
public func clipGradNorm(_ parameters: [Parameter], maxNorm: Double) -> Float {
    let total = Float(gradSumOfSquares(parameters).squareRoot())
    scaleGradients(parameters, by: clipCoefficient(norm: total, maxNorm: maxNorm))
    return total
}

/// Σ grad² over `parameters`, in Double, in their order (one group of a split update: the global norm is the
/// square root of the groups' sums added in a fixed order).
public func gradSumOfSquares(_ parameters: [Parameter]) -> Double {
    var sumSquares = 0.0
    for p in parameters { sumSquares += Kernels.sumOfSquares(p.grad, count: p.count) }
    return sumSquares
}

/// `clip_grad_norm_`'s factor for a total norm: max_norm / (norm + 1e-6), or nil when it would not shrink.
public func clipCoefficient(norm total: Float, maxNorm: Double) -> Float? {
    let coef = Float(maxNorm) / (total + 1e-6)
    return coef < 1 ? coef : nil
}

public func scaleGradients(_ parameters: [Parameter], by coef: Float?) {
    guard let coef else { return }
    for p in parameters {
        for i in 0..<p.count { p.grad[i] *= coef }
    }
}

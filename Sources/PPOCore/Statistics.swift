/// Small statistics used by the update: advantage standardisation and explained variance.
public enum Statistics {
    /// Mean and unbiased standard deviation (PyTorch's `std()`), accumulated in Double. The std of fewer than
    /// two values is 0 here (PyTorch gives NaN, which would poison the update).
    public static func meanAndUnbiasedStd(_ x: UnsafePointer<Float>, count: Int) -> (mean: Double, std: Double) {
        guard count > 0 else { return (0, 0) }
        var sum = 0.0
        for i in 0..<count { sum += Double(x[i]) }
        let mean = sum / Double(count)
        guard count > 1 else { return (mean, 0) }
        var ss = 0.0
        for i in 0..<count {
            let d = Double(x[i]) - mean
            ss += d * d
        }
        return (mean, (ss / Double(count - 1)).squareRoot())
    }

    /// x ← (x − mean) / (std + 1e-8), in place (the seed's and CleanRL's formula).
    public static func standardize(_ x: UnsafeMutablePointer<Float>, count: Int) {
        let (mean, std) = meanAndUnbiasedStd(x, count: count)
        let m = Float(mean)
        let s = Float(std) + 1e-8
        for i in 0..<count { x[i] = (x[i] - m) / s }
    }

    /// 1 − Var(y − ŷ) / Var(y) (population variances); NaN when Var(y) is 0, as in CleanRL/SB3.
    public static func explainedVariance(predicted: UnsafePointer<Float>, target: UnsafePointer<Float>, count: Int) -> Double {
        guard count > 0 else { return .nan }
        var sy = 0.0, sr = 0.0
        for i in 0..<count {
            sy += Double(target[i])
            sr += Double(target[i]) - Double(predicted[i])
        }
        let my = sy / Double(count), mr = sr / Double(count)
        var vy = 0.0, vr = 0.0
        for i in 0..<count {
            let dy = Double(target[i]) - my
            let dr = Double(target[i]) - Double(predicted[i]) - mr
            vy += dy * dy
            vr += dr * dr
        }
        return vy == 0 ? .nan : 1 - vr / vy
    }
}

/// Running mean and variance of a vector stream (Chan et al.'s parallel update), as Gymnasium's
/// `RunningMeanStd` (initial count 1e-4, mean 0, variance 1). Used to normalise observations and to scale rewards.
public struct RunningMeanStd: Codable, Sendable, Equatable {
    public private(set) var mean: [Double]
    public private(set) var variance: [Double]
    public private(set) var count: Double

    public init(dimension: Int) {
        mean = Array(repeating: 0, count: dimension)
        variance = Array(repeating: 1, count: dimension)
        count = 1e-4
    }

    /// Restores saved statistics; nil if the sizes disagree or a value is not finite.
    public init?(mean: [Double], variance: [Double], count: Double) {
        guard mean.count == variance.count, count > 0, count.isFinite,
              mean.allSatisfy(\.isFinite), variance.allSatisfy({ $0.isFinite && $0 >= 0 }) else { return nil }
        self.mean = mean
        self.variance = variance
        self.count = count
    }

    public var dimension: Int { mean.count }

    /// Folds in a batch of `rows` vectors (rows, dimension).
    public mutating func update(_ batch: UnsafePointer<Float>, rows: Int) {
        guard rows > 0 else { return }
        let d = dimension
        var batchMean = [Double](repeating: 0, count: d)
        var batchVar = [Double](repeating: 0, count: d)
        for r in 0..<rows {
            for j in 0..<d { batchMean[j] += Double(batch[r * d + j]) }
        }
        for j in 0..<d { batchMean[j] /= Double(rows) }
        for r in 0..<rows {
            for j in 0..<d {
                let x = Double(batch[r * d + j]) - batchMean[j]
                batchVar[j] += x * x
            }
        }
        for j in 0..<d { batchVar[j] /= Double(rows) }
        combine(mean: batchMean, variance: batchVar, count: Double(rows))
    }

    /// Merges statistics of another sample (mean, population variance, count).
    public mutating func combine(mean batchMean: [Double], variance batchVar: [Double], count batchCount: Double) {
        let total = count + batchCount
        for j in 0..<dimension {
            let delta = batchMean[j] - mean[j]
            let m2 = variance[j] * count + batchVar[j] * batchCount + delta * delta * count * batchCount / total
            mean[j] += delta * batchCount / total
            variance[j] = m2 / total
        }
        count = total
    }

    /// x ← clip((x − mean) / √(var + 1e-8), ±clip) for `rows` vectors, in place; the columns `skipping` names are
    /// left as they are.
    public func normalize(_ x: UnsafeMutablePointer<Float>, rows: Int, clip: Double, skipping: Range<Int>? = nil) {
        let d = dimension
        for j in 0..<d where !(skipping?.contains(j) ?? false) {
            let m = mean[j]
            let inv = 1 / (variance[j] + 1e-8).squareRoot()
            for r in 0..<rows {
                let v = (Double(x[r * d + j]) - m) * inv
                x[r * d + j] = Float(min(max(v, -clip), clip))
            }
        }
    }
}

/// Reward scaling as Gymnasium's `NormalizeReward`: rewards are divided by the running std of the discounted
/// return (not centred), then clipped. One discounted-return accumulator per environment.
public struct RewardScaler: Codable, Sendable, Equatable {
    /// Running mean, variance and count of the discounted return (Gymnasium's `RunningMeanStd(shape=())`).
    public private(set) var mean = 0.0
    public private(set) var variance = 1.0
    public private(set) var count = 1e-4
    public private(set) var discountedReturn: [Double]
    public let gamma: Double

    public init(environments: Int, gamma: Double) {
        discountedReturn = Array(repeating: 0, count: environments)
        self.gamma = gamma
    }

    /// Scales the rewards of one vector step in place; `done[i]` resets env i's return after this step.
    public mutating func scale(_ rewards: UnsafeMutablePointer<Float>, done: UnsafePointer<Bool>, clip: Double) {
        let k = discountedReturn.count
        guard k > 0 else { return }
        var sum = 0.0
        for i in 0..<k {
            discountedReturn[i] = discountedReturn[i] * gamma + Double(rewards[i])
            sum += discountedReturn[i]
        }
        let batchMean = sum / Double(k)
        var ss = 0.0
        for i in 0..<k { ss += (discountedReturn[i] - batchMean) * (discountedReturn[i] - batchMean) }
        // Chan et al.'s parallel update, as RunningMeanStd.combine.
        let batchCount = Double(k)
        let total = count + batchCount
        let delta = batchMean - mean
        variance = (variance * count + ss + delta * delta * count * batchCount / total) / total
        mean += delta * batchCount / total
        count = total
        let inverseStd = 1 / (variance + 1e-8).squareRoot()
        for i in 0..<k {
            rewards[i] = Float(min(max(Double(rewards[i]) * inverseStd, -clip), clip))
            if done[i] { discountedReturn[i] = 0 }
        }
    }
}

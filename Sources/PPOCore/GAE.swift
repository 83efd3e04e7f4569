/// Generalised Advantage Estimation over one contiguous segment of a single environment's steps.
///
/// δ_t = r_t + γ·V_next(t)·(1 − terminal_t) − V(s_t);  A_t = δ_t + γλ·(1 − cut_t)·A_{t+1};  R_t = A_t + V(s_t).
public enum GAE {
    /// How a time-limit truncation is treated.
    public enum TruncationHandling: String, Codable, Sendable, CaseIterable {
        /// The seed: `done = terminated or truncated`; a done step never bootstraps.
        case seed
        /// Correct time-limit handling: a terminated step's next value is 0; a truncated step bootstraps from
        /// V(final observation); the GAE chain is cut at both (the next entry belongs to a new episode).
        case bootstrap
    }

    /// Computes advantages and returns (each `rewards.count`) in Float.
    ///
    /// - values: V(s_t) for each step.
    /// - terminated / truncated: the environment's flags for each step.
    /// - truncationValues: V(final observation) at steps where `truncated` is set (ignored elsewhere and in
    ///   `.seed` mode); must have `rewards.count` entries when `.bootstrap` is used.
    /// - lastValue: V(s_T) for the observation after the last step, used only if that step is not done.
    ///   (The seed passes 0 itself when the last step is done; the formula masks it either way.)
    public static func compute(
        rewards: UnsafeBufferPointer<Float>, values: UnsafeBufferPointer<Float>,
        terminated: UnsafeBufferPointer<Bool>, truncated: UnsafeBufferPointer<Bool>,
        truncationValues: UnsafeBufferPointer<Float>?, lastValue: Float,
        gamma: Float, lambda: Float, handling: TruncationHandling,
        advantages: UnsafeMutableBufferPointer<Float>, returns: UnsafeMutableBufferPointer<Float>
    ) {
        let n = rewards.count
        precondition(values.count == n && terminated.count == n && truncated.count == n, "GAE columns differ in length")
        precondition(advantages.count >= n && returns.count >= n, "GAE output too short")
        precondition(handling == .seed || truncationValues.map { $0.count >= n } ?? true, "GAE truncation values too short")
        guard n > 0, let r = rewards.baseAddress, let v = values.baseAddress, let term = terminated.baseAddress,
              let trunc = truncated.baseAddress, let adv = advantages.baseAddress, let ret = returns.baseAddress else { return }
        compute(
            steps: n, rewards: r, values: v, terminated: term, truncated: trunc,
            truncationValues: truncationValues?.baseAddress, lastValue: lastValue, gamma: gamma, lambda: lambda,
            handling: handling, advantages: adv, returns: ret)
    }

    /// The same over one contiguous segment behind raw pointers — env k's segment of a batch, read and written in
    /// place — with `steps` entries behind every pointer.
    public static func compute(
        steps n: Int, rewards: UnsafePointer<Float>, values: UnsafePointer<Float>,
        terminated: UnsafePointer<Bool>, truncated: UnsafePointer<Bool>, truncationValues: UnsafePointer<Float>?,
        lastValue: Float, gamma: Float, lambda: Float, handling: TruncationHandling,
        advantages: UnsafeMutablePointer<Float>, returns: UnsafeMutablePointer<Float>
    ) {
        var gae: Float = 0
        var t = n - 1
        while t >= 0 {
            let nextValue: Float
            let continues: Float
            switch handling {
            case .seed:
                let done = terminated[t] || truncated[t]
                continues = done ? 0 : 1
                nextValue = (t == n - 1 ? lastValue : values[t + 1]) * continues
            case .bootstrap:
                if terminated[t] {
                    nextValue = 0
                    continues = 0
                } else if truncated[t] {
                    guard let truncationValues else {
                        preconditionFailure("bootstrap GAE needs V(final observation) for truncated steps")
                    }
                    nextValue = truncationValues[t]
                    continues = 0
                } else {
                    nextValue = t == n - 1 ? lastValue : values[t + 1]
                    continues = 1
                }
            }
            let delta = rewards[t] + gamma * nextValue - values[t]
            gae = delta + gamma * lambda * continues * gae
            advantages[t] = gae
            returns[t] = gae + values[t]
            t -= 1
        }
    }

    /// Array convenience; returns (advantages, returns).
    public static func compute(
        rewards: [Float], values: [Float], terminated: [Bool], truncated: [Bool], truncationValues: [Float]? = nil,
        lastValue: Float, gamma: Float, lambda: Float, handling: TruncationHandling
    ) -> (advantages: [Float], returns: [Float]) {
        var advantages = [Float](repeating: 0, count: rewards.count)
        var returns = [Float](repeating: 0, count: rewards.count)
        rewards.withUnsafeBufferPointer { r in
            values.withUnsafeBufferPointer { v in
                terminated.withUnsafeBufferPointer { term in
                    truncated.withUnsafeBufferPointer { trunc in
                        advantages.withUnsafeMutableBufferPointer { adv in
                            returns.withUnsafeMutableBufferPointer { ret in
                                if let truncationValues {
                                    truncationValues.withUnsafeBufferPointer { tv in
                                        compute(
                                            rewards: r, values: v, terminated: term, truncated: trunc,
                                            truncationValues: tv, lastValue: lastValue, gamma: gamma, lambda: lambda,
                                            handling: handling, advantages: adv, returns: ret)
                                    }
                                } else {
                                    compute(
                                        rewards: r, values: v, terminated: term, truncated: trunc,
                                        truncationValues: nil, lastValue: lastValue, gamma: gamma, lambda: lambda,
                                        handling: handling, advantages: adv, returns: ret)
                                }
                            }
                        }
                    }
                }
            }
        }
        return (advantages, returns)
    }
}

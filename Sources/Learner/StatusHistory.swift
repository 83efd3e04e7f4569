import PPOCore

/// The learning curve and the last updates' statistics, kept for the status page in bounded memory: a run of any
/// length holds at most `maxCurvePoints` points (every other one is dropped when the curve fills, so it stays
/// spread over the whole run) and the last `maxRecentUpdates` updates.
struct StatusHistory {
    static let maxCurvePoints = 1000
    static let maxRecentUpdates = 50
    private(set) var curve: [RunStatus.CurvePoint] = []
    private(set) var recent: [RunStatus.UpdateRow] = []
    /// Keep one update in `stride` on the curve; doubles each time the curve is thinned.
    private var stride = 1

    mutating func record(update: Int, envSteps: Int, meanReturn: Double?, statistics s: UpdateStatistics, seconds: Double) {
        recent.append(RunStatus.UpdateRow(
            update: update, envSteps: envSteps, policyLoss: s.policyLoss.finite, valueLoss: s.valueLoss.finite,
            entropy: s.entropy.finite, approxKL: s.approxKL.finite, clipFraction: s.clipFraction.finite,
            explainedVariance: s.explainedVariance.finite, seconds: seconds))
        if recent.count > Self.maxRecentUpdates { recent.removeFirst(recent.count - Self.maxRecentUpdates) }
        guard let meanReturn = meanReturn?.finite, update % stride == 0 else { return }
        curve.append(RunStatus.CurvePoint(envSteps: envSteps, meanReturn: meanReturn))
        if curve.count >= Self.maxCurvePoints {
            curve = curve.enumerated().filter { $0.offset % 2 == 1 }.map(\.element)
            stride *= 2
        }
    }
}

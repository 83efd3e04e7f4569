/// Timing of one micro-benchmark: `repetitions` samples, each the mean time of `inner` calls.
public struct BenchResult: Codable, Sendable {
    /// Benchmark name as given to `ppo bench`.
    public var name: String
    /// What one call does, for the reader of the table.
    public var description: String
    /// Median, 10th and 90th percentile, minimum and maximum of the per-call time, in microseconds.
    public var medianMicroseconds: Double
    public var p10Microseconds: Double
    public var p90Microseconds: Double
    public var minMicroseconds: Double
    public var maxMicroseconds: Double
    /// Number of samples and calls per sample.
    public var repetitions: Int
    public var callsPerRepetition: Int
    /// Extra figures (rates, sizes) a benchmark wants to report.
    public var extra: [String: Double]

    public init(
        name: String, description: String, samples: [Double], callsPerRepetition: Int,
        extra: [String: Double] = [:]
    ) {
        let sorted = samples.sorted()
        func quantile(_ q: Double) -> Double {
            guard !sorted.isEmpty else { return .nan }
            let position = q * Double(sorted.count - 1)
            let lower = Int(position)
            let upper = min(lower + 1, sorted.count - 1)
            let fraction = position - Double(lower)
            return sorted[lower] * (1 - fraction) + sorted[upper] * fraction
        }
        self.name = name
        self.description = description
        self.medianMicroseconds = quantile(0.5)
        self.p10Microseconds = quantile(0.1)
        self.p90Microseconds = quantile(0.9)
        self.minMicroseconds = sorted.first ?? .nan
        self.maxMicroseconds = sorted.last ?? .nan
        self.repetitions = samples.count
        self.callsPerRepetition = callsPerRepetition
        self.extra = extra
    }
}

/// Runs `body` `warmup` times, then `repetitions` samples of `inner` calls each; returns per-call times in µs.
public func measure(repetitions: Int, inner: Int, warmup: Int, _ body: () -> Void) -> [Double] {
    for _ in 0..<warmup { body() }
    var samples: [Double] = []
    samples.reserveCapacity(repetitions)
    let clock = ContinuousClock()
    for _ in 0..<repetitions {
        let start = clock.now
        for _ in 0..<inner { body() }
        let elapsed = clock.now - start
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
        samples.append(seconds * 1e6 / Double(inner))
    }
    return samples
}

import ArgumentParser

/// A duration on the command line: a number with a unit (`500us`, `1ms`, `2.5s`) or plain seconds (`0.001`).
public enum DurationArgument {
    public static func parse(_ text: String, flag: String) throws -> Duration {
        let units: [(String, Double)] = [("us", 1e-6), ("µs", 1e-6), ("ms", 1e-3), ("s", 1)]
        let (number, scale) = units.first { text.hasSuffix($0.0) }.map { (String(text.dropLast($0.0.count)), $0.1) } ?? (text, 1)
        guard let value = Double(number), value.isFinite, value >= 0, value * scale <= 3600 else {
            throw ValidationError("\(flag) takes a duration of at most an hour: 1ms, 500us, 0.25s or seconds as a number (got '\(text)')")
        }
        return .nanoseconds(Int64((value * scale * 1e9).rounded()))
    }
}

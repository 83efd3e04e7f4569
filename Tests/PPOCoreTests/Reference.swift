import Foundation
import Testing

/// Locates and reads the PyTorch / Gymnasium reference files (`../shared/reference` beside the package root, or
/// `$PPO_REFERENCE_DIR`).
enum Reference {
    struct Missing: Error, CustomStringConvertible {
        let path: String
        var description: String {
            "reference file \(path) not found: the tests compare against ../shared/reference beside the package; set PPO_REFERENCE_DIR to its location"
        }
    }

    static var directory: URL {
        if let dir = ProcessInfo.processInfo.environment["PPO_REFERENCE_DIR"] {
            return URL(fileURLWithPath: dir)
        }
        // Tests/PPOCoreTests/Reference.swift → package root → ../shared/reference
        return URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("shared/reference")
    }

    static func load(_ name: String) throws -> [String: Any] {
        let url = directory.appendingPathComponent(name)
        guard FileManager.default.fileExists(atPath: url.path) else { throw Missing(path: url.path) }
        let data = try Data(contentsOf: url)
        guard let object = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw Missing(path: url.path + " (not a JSON object)")
        }
        return object
    }
}

/// Flattens nested JSON arrays of numbers (or booleans) into Doubles, row-major.
func flatDoubles(_ any: Any?) -> [Double] {
    switch any {
    case let n as NSNumber: return [n.doubleValue]
    case let list as [Any]: return list.flatMap { flatDoubles($0) }
    default: return []
    }
}

func flatFloats(_ any: Any?) -> [Float] { flatDoubles(any).map { Float($0) } }

/// |a − e| ≤ abs or ≤ rel·|e|, the reference README's tolerance for a Float implementation.
func close(_ actual: Double, _ expected: Double, abs absTol: Double = 1e-6, rel relTol: Double = 1e-5) -> Bool {
    let d = Swift.abs(actual - expected)
    return d <= absTol || d <= relTol * Swift.abs(expected)
}

/// Records one failure naming the worst element if any element is out of tolerance.
func expectClose(
    _ actual: [Float], _ expected: [Double], _ what: String, abs absTol: Double = 1e-6, rel relTol: Double = 1e-5,
    sourceLocation: SourceLocation = #_sourceLocation
) {
    #expect(actual.count == expected.count, "\(what): \(actual.count) values, expected \(expected.count)", sourceLocation: sourceLocation)
    guard actual.count == expected.count, !expected.isEmpty else { return }
    var worst = -1
    var worstError = 0.0
    for i in actual.indices where !close(Double(actual[i]), expected[i], abs: absTol, rel: relTol) {
        let e = Swift.abs(Double(actual[i]) - expected[i])
        if e > worstError { worstError = e; worst = i }
    }
    #expect(worst < 0, "\(what)[\(worst)]: \(worst >= 0 ? Double(actual[worst]) : 0) vs expected \(worst >= 0 ? expected[worst] : 0) (|err| \(worstError))", sourceLocation: sourceLocation)
}

func expectClose(
    _ actual: Float, _ expected: Double, _ what: String, abs absTol: Double = 1e-6, rel relTol: Double = 1e-5,
    sourceLocation: SourceLocation = #_sourceLocation
) {
    #expect(close(Double(actual), expected, abs: absTol, rel: relTol), "\(what): \(actual) vs expected \(expected)", sourceLocation: sourceLocation)
}

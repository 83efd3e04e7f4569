import NIOCore
import PPOCore

/// Weights (learner → worker), PROTOCOL.md §4.3: a policy version's parameters and observation statistics.
extension Weights: PayloadCodable {
    func encode(into w: inout PayloadWriter) {
        w.integer(policyVersion)
        w.integer(UInt32(clamping: parameters.count))
        w.floats(parameters)
        if let n = normalizer {
            w.integer(UInt32(clamping: n.dimension))
            w.double(n.count)
            w.doubles(n.mean)
            w.doubles(n.variance)
        } else {
            w.integer(UInt32(0))
        }
    }

    static func decode(from r: inout PayloadReader) throws(WireError) -> Weights {
        let version = try r.integer("policy_version", as: UInt64.self)
        let count = Int(try r.integer("parameter_count", as: UInt32.self))
        let parameters = try r.finiteFloats("parameters", count: count)
        let d = Int(try r.integer("normalizer_size", as: UInt32.self))
        var normalizer: RunningMeanStd?
        if d > 0 {
            let n = try r.double("normalizer_count")
            let mean = try r.finiteDoubles("mean", count: d)
            let variance = try r.finiteDoubles("variance", count: d)
            guard let stats = RunningMeanStd(mean: mean, variance: variance, count: n) else {
                throw WireError(.invalidValue, "weights: normaliser count \(n) or a variance is out of range")
            }
            normalizer = stats
        }
        return Weights(policyVersion: version, parameters: parameters, normalizer: normalizer)
    }
}

/// What collection, evaluation, the wire and checkpoints ask of a policy network, whichever its architecture
/// (`NetworkSpec.Body`): acting on flat observations, the values, and its parameters in one order.
public protocol PolicyNetwork: AnyObject {
    /// The architecture, from which the network was built.
    var spec: NetworkSpec { get }
    /// Every trainable parameter, in checkpoint (PyTorch `state_dict`) order.
    var parameters: [Parameter] { get }

    /// Samples (or, if `deterministic`, takes the mode / mean of) an action for each of `count` observations.
    ///
    /// observations (B, observationSize), preprocessed; writes actions (B, actionSize), logProbs (B), values (B).
    func act(
        observations: UnsafePointer<Float>, count: Int, deterministic: Bool, rng: inout RNG,
        actions: UnsafeMutablePointer<Float>, logProbs: UnsafeMutablePointer<Float>, values: UnsafeMutablePointer<Float>)

    /// V(s) for `count` observations (B, observationSize) into values (B).
    func value(observations: UnsafePointer<Float>, count: Int, into values: UnsafeMutablePointer<Float>)
}

extension PolicyNetwork {
    public var observationSize: Int { spec.observationSize }
    /// The distribution the actor's outputs parameterise.
    public var head: PolicyHead { spec.head }
    /// Floats one action occupies (1 for Discrete).
    public var actionSize: Int { spec.head.actionSize }
    public var parameterCount: Int { parameters.reduce(0) { $0 + $1.count } }

    /// A network of the same architecture (its parameters to be loaded or copied).
    public func sameArchitecture() -> any PolicyNetwork { spec.makeUninitializedNetwork() }

    /// Copies every parameter value from `other` (same architecture).
    public func copyParameters(from other: any PolicyNetwork) {
        let mine = parameters
        let theirs = other.parameters
        precondition(mine.count == theirs.count, "architectures differ")
        for (a, b) in zip(mine, theirs) {
            precondition(a.count == b.count, "\(a.name): sizes differ")
            a.value.update(from: b.value, count: a.count)
        }
    }

    /// All parameter values as one flat vector in `parameters` order (for snapshots and the wire).
    public var flatParameters: [Float] {
        get { parameters.flatMap(\.values) }
        set {
            var offset = 0
            for p in parameters {
                precondition(offset + p.count <= newValue.count, "flat parameter vector too short")
                newValue.withUnsafeBufferPointer { buffer in
                    guard let base = buffer.baseAddress else { return }
                    p.value.update(from: base + offset, count: p.count)
                }
                offset += p.count
            }
            precondition(offset == newValue.count, "flat parameter vector has \(newValue.count) floats, expected \(offset)")
        }
    }

    /// Array convenience for one observation: (action, logProb, value).
    public func act(_ observation: [Float], deterministic: Bool = false, rng: inout RNG) -> (action: [Float], logProb: Float, value: Float) {
        precondition(observation.count == observationSize, "observation has \(observation.count) floats, expected \(observationSize)")
        var action = [Float](repeating: 0, count: actionSize)
        var logProb: Float = 0
        var value: Float = 0
        observation.withUnsafeBufferPointer { obs in
            action.withUnsafeMutableBufferPointer { act in
                guard let obsBase = obs.baseAddress, let actBase = act.baseAddress else { return }
                self.act(
                    observations: obsBase, count: 1, deterministic: deterministic, rng: &rng,
                    actions: actBase, logProbs: &logProb, values: &value)
            }
        }
        return (action, logProb, value)
    }

    public func zeroGrad() {
        for p in parameters { p.zeroGrad() }
    }
}

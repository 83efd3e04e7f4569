import PPOCore

/// What a worker checks in the learner's messages before it sizes or indexes anything with them (PROTOCOL.md §4.3,
/// §6), next to the codecs: the decoder has checked each message alone; these check one against the Welcome of its
/// connection. The worker acts on the answers, and the wire fuzzer runs them on every message it decodes.
extension Welcome {
    /// Why Weights `w` cannot be loaded into the network this Welcome describes (a parameter count or an
    /// observation normaliser that does not fit it), or nil.
    public func problem(with w: Weights) -> String? {
        guard w.parameters.count == parameterCount else {
            return "\(w.parameters.count) parameters, the network has \(parameterCount)"
        }
        if let n = w.normalizer, n.dimension != observationSize {
            return "an observation normaliser of \(n.dimension) values for observations of \(observationSize)"
        }
        return nil
    }

    /// The most steps per env a worker of `envs` environments collects for one Grant: what a Batch can carry.
    public func maxGrantSteps(envs: Int) -> Int {
        BatchMessage.maxSteps(envs: envs, observationSize: observationSize, head: head)
    }

    /// Why Grant `g` cannot be collected by a worker of `envs` environments (no steps, or more than a Batch can
    /// carry), or nil.
    public func problem(with g: Grant, envs: Int) -> String? {
        let most = maxGrantSteps(envs: envs)
        guard g.steps >= 1, Int(g.steps) <= most else {
            return "\(g.steps) steps per env; this worker collects 1–\(most) (what a Batch of its \(envs) envs can carry)"
        }
        return nil
    }
}

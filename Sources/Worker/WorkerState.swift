import Dispatch
import Environments
import PPOCore
import Training
import Wire

/// A frozen policy: the network's parameters and how it preprocesses observations (the statistics of one version).
final class PolicySnapshot {
    let model: any PolicyNetwork
    var preprocessing: ObservationPreprocessing
    var version: UInt64

    init(model: any PolicyNetwork, version: UInt64, observationClip: Double) {
        self.model = model
        self.version = version
        preprocessing = ObservationPreprocessing(normalizer: nil, clip: observationClip, network: model.spec)
    }

    func load(_ w: Weights) {
        model.flatParameters = w.parameters
        preprocessing.normalizer = w.normalizer
        version = w.policyVersion
    }
}

/// The worker's policy snapshots and collector for one connection. It keeps the version before the current one
/// too: with `--max-policy-lag 1` the learner may grant steps of that version after sending the next one's
/// weights, and those are collected with the policy the grant names.
final class WorkerState: @unchecked Sendable {
    private var current: PolicySnapshot
    /// The version before `current` (nil until the second Weights).
    private var previous: PolicySnapshot?
    let collector: Exclusive<RolloutCollector>
    var version: UInt64 { current.version }
    private var rng: RNG
    let welcome: Welcome
    let actionEncoding: BatchMessage.ActionEncoding

    init(welcome: Welcome, env: any VectorEnvironment, options: WorkerOptions, streams: CollectorStreams) throws {
        self.welcome = welcome
        let spec = env.spec
        guard welcome.head == PolicyHead(spec.actionSpace) else {
            throw WorkerError.local("the learner's policy head \(welcome.head) does not fit \(spec.id)'s action space \(spec.actionSpace)")
        }
        guard welcome.observationSize == spec.observationSize else {
            throw WorkerError.local("the learner's observation size \(welcome.observationSize) does not match \(spec.id)'s \(spec.observationSize)")
        }
        // The Weights that follow must fit in a frame: do not build (and allocate) a network that could not.
        guard welcome.parameterCount <= WireLimits.default.maxDecodedBytes / 4 else {
            throw WorkerError.local("the learner's network has \(welcome.parameterCount) parameters; its Weights cannot fit in a frame of \(WireLimits.default.maxDecodedBytes) bytes")
        }
        if let problem = welcome.network.problem(readingImages: spec.images) {
            throw WorkerError.local("the learner's \(problem) (\(spec.id))")
        }
        let model = welcome.network.makeUninitializedNetwork()  // the Weights that follow are its parameters
        guard model.parameterCount == welcome.parameterCount else {
            throw WorkerError.local("the learner's network has \(welcome.parameterCount) parameters, this worker builds \(model.parameterCount)")
        }
        current = PolicySnapshot(model: model, version: welcome.policyVersion, observationClip: welcome.observationClip)
        collector = Exclusive(RolloutCollector(env: env, scaleRewards: welcome.normalizeRewards, gamma: welcome.gamma, rewardClip: welcome.rewardClip))
        rng = streams.actions
        actionEncoding = BatchMessage.ActionEncoding(for: spec.actionSpace)
    }

    /// Why `w` cannot be loaded (a parameter count or a normaliser that does not fit the network), or nil.
    func problem(with w: Weights) -> String? { welcome.problem(with: w) }

    /// Why `g` cannot be collected (no steps, or more than a Batch can carry), or nil.
    func problem(with g: Grant) -> String? { welcome.problem(with: g, envs: collector.value.env.count) }

    /// Loads weights that passed `problem(with:)`; the current snapshot becomes the previous one (its network is
    /// reused for the next version after that).
    func load(_ w: Weights) {
        // The same version again (the Weights after Welcome): in place.
        guard w.policyVersion != current.version else { return current.load(w) }
        let next = previous ?? PolicySnapshot(
            model: current.model.sameArchitecture(), version: w.policyVersion, observationClip: welcome.observationClip)
        next.load(w)
        previous = current
        current = next
    }

    /// Whether this worker holds version `v`'s policy (the current one or the one before).
    func holds(_ v: UInt64) -> Bool { snapshot(v) != nil }

    private func snapshot(_ v: UInt64) -> PolicySnapshot? {
        current.version == v ? current : (previous?.version == v ? previous : nil)
    }

    /// Collects the grant with the policy of the version it names (which `holds(_:)` said this worker has), on a
    /// collection thread (environment stepping and inference are CPU work).
    func collect(grant: Grant) async throws -> BatchMessage {
        let steps = Int(grant.steps)
        guard let policy = snapshot(grant.policyVersion) else {
            throw WorkerError.local("a grant of version \(grant.policyVersion), which this worker does not hold")
        }
        let job = Exclusive((state: self, policy: policy))
        let result: Result<TransitionBatch, Error> = await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                let (s, policy) = job.value
                do {
                    let batch = try s.collector.value.collect(
                        steps: steps, policy: policy.model, preprocessing: policy.preprocessing,
                        version: policy.version, rng: &s.rng)
                    continuation.resume(returning: .success(batch))
                } catch {
                    continuation.resume(returning: .failure(error))
                }
            }
        }
        return BatchMessage(
            grantID: grant.grantID, actionEncoding: actionEncoding, batch: try result.get(), bytesWherePossible: welcome.network.imageColumns)
    }
}

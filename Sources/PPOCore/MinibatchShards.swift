/// The update on three or more threads: every minibatch is split into `count` contiguous shards of rows, each
/// shard's gradients are computed by its own replica of the model on its own thread (the first shard by the
/// main model, on the caller's thread), and the gradients are summed into the main model's, each weighted by
/// its shard's share of the rows, in shard order. The PPO loss is a mean over rows, so the sum is the
/// minibatch's gradient; the fixed order makes the result the same on every run with the same thread count
/// (it differs from one thread's by float rounding only).
///
/// Replicas are refreshed from the main model's parameters before every minibatch (Adam changed them).
final class MinibatchShards {
    let count: Int
    /// Shards 1..<count: a single-threaded updater on a copy of the model each.
    private let replicas: [PPOUpdater]
    private let replicaParameters: [[Parameter]]
    /// The main model's parameters, in the same order.
    private let mainParameters: [Parameter]
    private let helpers: [SpinningHelper]
    /// Each shard's statistics, written by that shard's thread only: a buffer, not an array, so that the threads'
    /// writes to their own element are not concurrent mutations of one array.
    private let results: UnsafeMutableBufferPointer<PPOLoss.Statistics>

    init(model: ActorCritic, config: PPOConfig, count: Int) {
        precondition(count >= 2, "a split needs two shards or more")
        self.count = count
        // (the copies' parameters are replaced by the main model's before every minibatch)
        replicas = (1..<count).map { _ in PPOUpdater(model: model.twin(), config: config, threads: 1) }
        replicaParameters = replicas.map(\.model.parameters)
        mainParameters = model.parameters
        helpers = (1..<count).map { _ in SpinningHelper() }
        results = .allocate(capacity: count)
        results.initialize(repeating: PPOLoss.Statistics())
    }

    deinit {
        helpers.forEach { $0.stop() }
        results.deallocate()
    }

    /// The rows of shard `s` of a minibatch of `rows`: the first `rows % count` shards take one row more.
    func range(of s: Int, rows: Int) -> Range<Int> {
        let base = rows / count, extra = rows % count
        let start = s * base + min(s, extra)
        return start..<(start + base + (s < extra ? 1 : 0))
    }

    /// Zeroes `main`'s gradients (`main` is the updater of the model given at init) and leaves the minibatch's in
    /// them; returns the minibatch's loss statistics.
    func computeGradients(
        main: PPOUpdater, observations: UnsafePointer<Float>, actions: UnsafePointer<Float>, oldLogProbs: UnsafePointer<Float>,
        advantages: UnsafePointer<Float>, returns: UnsafePointer<Float>, oldValues: UnsafePointer<Float>, rows: Int
    ) -> PPOLoss.Statistics {
        let (mainParameters, results) = (self.mainParameters, self.results)
        let obsSize = main.model.observationSize, actSize = main.model.actionSize
        func shard(_ s: Int, on updater: PPOUpdater) {
            let r = range(of: s, rows: rows)
            guard !r.isEmpty else { return }
            let o = r.lowerBound
            results[s] = updater.wholeMinibatchGradients(
                observations: observations + o * obsSize, actions: actions + o * actSize, oldLogProbs: oldLogProbs + o,
                advantages: advantages + o, returns: returns + o, oldValues: oldValues + o, count: r.count)
        }
        for (i, replica) in replicas.enumerated() {
            for (mine, theirs) in zip(mainParameters, replicaParameters[i]) { theirs.value.update(from: mine.value, count: mine.count) }
            helpers[i].run { shard(i + 1, on: replica) }
        }
        shard(0, on: main)
        helpers.forEach { $0.wait() }
        return reduce(into: mainParameters, rows: rows)
    }

    /// Sums the shards' gradients into `parameters` (which hold shard 0's) and their statistics, weighted by rows.
    private func reduce(into parameters: [Parameter], rows: Int) -> PPOLoss.Statistics {
        let weights = (0..<count).map { Float(range(of: $0, rows: rows).count) / Float(rows) }
        for (index, p) in parameters.enumerated() {
            let g = p.grad
            for k in 0..<p.count { g[k] *= weights[0] }
            for s in 1..<count where weights[s] > 0 {
                let other = replicaParameters[s - 1][index].grad
                for k in 0..<p.count { g[k] += weights[s] * other[k] }
            }
        }
        var total = PPOLoss.Statistics()
        for s in 0..<count where weights[s] > 0 {
            let r = results[s], w = weights[s]
            total.policyLoss += w * r.policyLoss
            total.valueLoss += w * r.valueLoss
            total.entropy += w * r.entropy
            total.totalLoss += w * r.totalLoss
            total.approxKL += w * r.approxKL
            total.clipFraction += w * r.clipFraction
        }
        return total
    }
}

import Environments
import Foundation
import GymBridge
import Training

/// The worker's environments from one connection to the next. Native ones are made anew for every connection
/// (that costs nothing); a Gymnasium bridge is kept and re-seeded while it is healthy, because starting Python
/// and the env's module takes seconds. A bridge that failed is dropped, and the next connection starts a new one.
final class EnvironmentHolder: @unchecked Sendable {
    private let lock = NSLock()
    private var kept: (selection: EnvironmentSelection, count: Int, env: GymVectorEnv)?
    private var delivered = false

    /// Envs of `selection`, reset with `seed` (env `i`: `RNG(seed).split(i)`); with `stepDelay`, each step takes at
    /// least that long (`SteppingDelay`, for benchmarks).
    func take(_ selection: EnvironmentSelection, count: Int, seed: UInt64, bridge: BridgeOptions,
              stepDelay: Duration? = nil) throws -> any VectorEnvironment {
        let env = try take(selection, count: count, seed: seed, bridge: bridge)
        return stepDelay.map { SteppingDelay(env, delay: $0) } ?? env
    }

    private func take(_ selection: EnvironmentSelection, count: Int, seed: UInt64, bridge: BridgeOptions) throws -> any VectorEnvironment {
        let selection = try selection.validated()
        guard selection.isGym else { return try VectorEnv(id: selection.id, count: count, seed: seed) }
        if let kept = lock.withLock({ kept }), kept.selection == selection, kept.count == count, kept.env.broken == nil {
            do {
                try kept.env.reset(seeding: seed)
                return kept.env
            } catch {
                lock.withLock { self.kept = nil }
                throw error
            }
        }
        lock.withLock { kept = nil }
        return try GymVectorEnv(selection: selection, count: count, seed: seed, options: bridge)
    }

    /// Keeps the bridge of `collector` (if it runs one) for the next connection.
    func keep(_ collector: Exclusive<RolloutCollector>, selection: EnvironmentSelection) {
        let env = collector.value.env
        guard let env = ((env as? SteppingDelay)?.inner ?? env) as? GymVectorEnv else { return }
        lock.withLock { kept = (selection, env.count, env) }
    }

    /// A batch was sent: the environment works.
    func markDelivered() { lock.withLock { delivered = true } }

    /// Whether a batch was sent since the last call.
    func takeDelivered() -> Bool {
        lock.withLock {
            defer { delivered = false }
            return delivered
        }
    }
}

import Environments
import Foundation
import GymBridge
import PPOCore

/// `ppo bench bridge`: Gymnasium environments stepped through the bridge (Protocol/BRIDGE.md) with random actions,
/// as a worker steps them, without the policy. `Benchmarks/bridge-throughput.sh` puts it beside plain Python
/// stepping the same envs in a loop and Gymnasium's `AsyncVectorEnv`.
public enum BridgeBenchmarks {
    /// `steps` env steps of `envs` environments of `selection` (rounded up to whole vector steps), timed per
    /// vector step in `repetitions` samples; `extra["env_steps_per_second"]` is the throughput over the whole run.
    public static func step(
        selection: EnvironmentSelection, envs: Int, steps: Int, repetitions: Int, bridge: BridgeOptions
    ) throws -> BenchResult {
        let env = try GymVectorEnv(selection: selection, count: envs, seed: 1, options: bridge)
        defer { env.close() }
        let actions = randomActions(env.spec.actionSpace, envs: envs, rows: 64)
        let vectorSteps = max(repetitions, (steps + envs - 1) / envs)
        let inner = max(1, vectorSteps / repetitions)
        var row = 0
        var failure: EnvironmentError?
        let clock = ContinuousClock()
        let start = clock.now
        let samples = measure(repetitions: repetitions, inner: inner, warmup: 0) {
            guard failure == nil else { return }
            do {
                try actions[row % actions.count].withUnsafeBufferPointer { try env.step(actions: $0) }
            } catch {
                failure = error as? EnvironmentError ?? .bridge(.protocolViolation(envID: selection.id, detail: "\(error)"))
            }
            row += 1
        }
        if let failure { throw failure }
        let elapsed = clock.now - start
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
        return BenchResult(
            name: "bridge \(selection.id)", description: "one step of \(envs) envs through the bridge, random actions",
            samples: samples, callsPerRepetition: inner,
            extra: ["env_steps_per_second": Double(row * envs) / seconds, "envs": Double(envs), "env_steps": Double(row * envs)])
    }

    /// `rows` batches of uniformly random valid actions.
    static func randomActions(_ space: Space, envs: Int, rows: Int) -> [[Float]] {
        var rng = RNG(seed: 9)
        return (0..<rows).map { _ in
            if case .box(let low, let high) = space {
                return (0..<envs).flatMap { _ in
                    zip(low, high).map { l, h in
                        let lo = l.isFinite ? Double(l) : -1, hi = h.isFinite ? Double(h) : 1
                        return Float(rng.uniform(lo, hi))
                    }
                }
            }
            return (0..<envs).flatMap { _ in
                (0..<space.flatSize).map { j in Float(rng.integer(below: space.choices(at: j) ?? 1)) }
            }
        }
    }
}

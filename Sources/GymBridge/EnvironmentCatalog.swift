import Environments

/// Every environment a run can name: the native ones by id, any Gymnasium one as `gym:ID` through the bridge.
/// The one place that decides which kind an id is.
public enum EnvironmentCatalog {
    /// The spec of `selection`: from the registry, or asked of a bridge started for the purpose (one env).
    public static func spec(for selection: EnvironmentSelection, bridge: BridgeOptions = .default) throws(EnvironmentError) -> EnvironmentSpec {
        let selection = try selection.validated()
        guard selection.isGym else { return try EnvironmentRegistry.spec(id: selection.id) }
        let env = try GymVectorEnv(selection: selection, count: 1, seed: 0, options: bridge)
        defer { env.close() }
        return env.spec
    }

    /// `count` envs of `selection`, env `i` seeded from `RNG(seed).split(i)`, reset.
    public static func makeVector(
        _ selection: EnvironmentSelection, count: Int, seed: UInt64, bridge: BridgeOptions = .default
    ) throws(EnvironmentError) -> any VectorEnvironment {
        let selection = try selection.validated()
        guard selection.isGym else { return try VectorEnv(id: selection.id, count: count, seed: seed) }
        return try GymVectorEnv(selection: selection, count: count, seed: seed, options: bridge)
    }
}

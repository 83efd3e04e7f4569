/// The environments known by Gymnasium id.
public enum EnvironmentRegistry {
    /// The environment types, in the order `ppo envs` lists them.
    public static let types: [any Environment.Type] = [
        CartPole.self, Acrobot.self, MountainCar.self, MountainCarContinuous.self, Pendulum.self,
    ]

    /// Id, spaces, time limit and reward threshold of every known environment.
    public static var specs: [EnvironmentSpec] { types.map { $0.spec } }

    /// Every known Gymnasium id.
    public static var ids: [String] { types.map { $0.spec.id } }

    /// The spec registered under `id`.
    public static func spec(id: String) throws(EnvironmentError) -> EnvironmentSpec {
        guard let type = types.first(where: { $0.spec.id == id }) else {
            throw .unknownEnvironment(id: id, known: ids)
        }
        return type.spec
    }

    /// A new environment for `id`, its `rng` seeded with `seed`, already reset.
    public static func make(id: String, seed: UInt64 = 0) throws(EnvironmentError) -> any Environment {
        switch id {
        case CartPole.spec.id: CartPole(seed: seed)
        case Acrobot.spec.id: Acrobot(seed: seed)
        case MountainCar.spec.id: MountainCar(seed: seed)
        case MountainCarContinuous.spec.id: MountainCarContinuous(seed: seed)
        case Pendulum.spec.id: Pendulum(seed: seed)
        default: throw .unknownEnvironment(id: id, known: ids)
        }
    }
}

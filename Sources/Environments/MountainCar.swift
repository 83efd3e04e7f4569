import PPOCore

/// Gymnasium's `MountainCar-v0` (`gymnasium/envs/classic_control/mountain_car.py`).
///
/// State `(position, velocity)` in Double; observation is the state as Float. Actions 0/1/2 push left/not/right.
/// Reward -1 per step; terminates when the car reaches the flag with non-negative velocity.
public struct MountainCar: ClassicControl, MountainCarTrack {
    public static let goalPosition = 0.5
    public static let force = 0.001
    public static let gravity = 0.0025
    static let maxSteps = 200

    public static let spec = EnvironmentSpec(
        id: "MountainCar-v0",
        observationSpace: trackSpace,
        actionSpace: .discrete(3),
        maxEpisodeSteps: maxSteps,
        rewardThreshold: -110.0,
        stateNames: ["position", "velocity"])
    public static let stepShape = StepShape(spec)

    public var rng: RNG
    public var elapsedSteps = 0
    var position = 0.0
    var velocity = 0.0

    /// A MountainCar whose `rng` is seeded with `seed`, already reset.
    public init(seed: UInt64 = 0) {
        rng = RNG(seed: seed)
        resetState()
    }

    public var state: [Double] {
        get { [position, velocity] }
        set {
            checkStateForSetter(newValue, Self.spec)
            position = newValue[0]
            velocity = newValue[1]
        }
    }

    public mutating func resetState() {
        position = rng.uniform(Self.resetPositionLow, Self.resetPositionHigh)
        velocity = 0
        elapsedSteps = 0
    }

    public mutating func step(
        action: UnsafeBufferPointer<Float>, into observation: UnsafeMutableBufferPointer<Float>
    ) throws(EnvironmentError) -> StepResult {
        let index = try beginStep(action, observation)
        var position = self.position
        var velocity = self.velocity
        velocity += Double(index - 1) * Self.force + cosine(3 * position) * (-Self.gravity)
        velocity = min(max(velocity, -Self.maxSpeed), Self.maxSpeed)  // np.clip
        position += velocity
        position = min(max(position, Self.minPosition), Self.maxPosition)
        if position == Self.minPosition && velocity < 0 { velocity = 0 }
        let terminated = position >= Self.goalPosition && velocity >= Self.goalVelocity
        self.position = position
        self.velocity = velocity
        return endStep(reward: -1.0, terminated: terminated, into: observation)
    }

    public func writeObservation(into observation: UnsafeMutableBufferPointer<Float>) {
        observation[0] = Float(position)
        observation[1] = Float(velocity)
    }
}

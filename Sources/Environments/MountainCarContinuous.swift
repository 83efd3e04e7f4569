import PPOCore

/// Gymnasium's `MountainCarContinuous-v0` (`gymnasium/envs/classic_control/continuous_mountain_car.py`).
///
/// Gymnasium keeps this env's state in a float32 array after the first step (the reset state is float64) and
/// mixes float32 scalars into the arithmetic under numpy 2's promotion rules. This port reproduces that:
/// the state is stored as Double, rounded to float32 after every step, and each operation is done in the
/// precision numpy uses:
/// - `force` is the float32 action when it lies in [-1, 1], else the Python float ±1.0;
/// - `force * power` and `... - 0.0025 * cos(3 * position)` are float32 when `force` is float32;
/// - with a float32 state, `3 * position`, `velocity += ...` and `position += velocity` are float32 operations,
///   and the goal test compares in float32.
/// The reward uses the unclipped action: `-0.1 * action²`, plus 100 on the terminating step.
public struct MountainCarContinuous: ClassicControl, MountainCarTrack {
    public static let minAction = -1.0
    public static let maxAction = 1.0
    public static let goalPosition = 0.45
    public static let power = 0.0015
    static let maxSteps = 999

    public static let spec = EnvironmentSpec(
        id: "MountainCarContinuous-v0",
        observationSpace: trackSpace,
        actionSpace: .box(low: [Float(minAction)], high: [Float(maxAction)]),
        maxEpisodeSteps: maxSteps,
        rewardThreshold: 90.0,
        stateNames: ["position", "velocity"])
    public static let stepShape = StepShape(spec)

    public var rng: RNG
    public var elapsedSteps = 0
    var position = 0.0
    var velocity = 0.0
    /// Whether Gymnasium would hold the state as float32 (after a step) rather than float64 (after a reset).
    var stateIsFloat32 = false

    /// A MountainCarContinuous whose `rng` is seeded with `seed`, already reset.
    public init(seed: UInt64 = 0) {
        rng = RNG(seed: seed)
        resetState()
    }

    /// Setting the state treats it as float32 (Gymnasium's state after a step) when both values are exactly
    /// representable as Float, else as float64 (Gymnasium's state after a reset).
    public var state: [Double] {
        get { [position, velocity] }
        set {
            checkStateForSetter(newValue, Self.spec)
            position = newValue[0]
            velocity = newValue[1]
            stateIsFloat32 = roundedToFloat(position) == position && roundedToFloat(velocity) == velocity
        }
    }

    public mutating func resetState() {
        position = rng.uniform(Self.resetPositionLow, Self.resetPositionHigh)
        velocity = 0
        stateIsFloat32 = false
        elapsedSteps = 0
    }

    public mutating func step(
        action: UnsafeBufferPointer<Float>, into observation: UnsafeMutableBufferPointer<Float>
    ) throws(EnvironmentError) -> StepResult {
        _ = try beginStep(action, observation)
        let a = action[0]
        var position = self.position
        var velocity = self.velocity
        let f32 = stateIsFloat32

        let cosArgument = f32 ? Double(Float(3) * Float(position)) : 3 * position
        let gravityTerm = 0.0025 * cosine(cosArgument)
        let acceleration: Double
        if a >= Float(Self.minAction) && a <= Float(Self.maxAction) {
            // np.float32 force: float32 product and difference.
            acceleration = Double(a * Float(Self.power) - Float(gravityTerm))
        } else {
            // Clipped: force is the Python float ±1.0, all in double.
            let force = a < Float(Self.minAction) ? Self.minAction : Self.maxAction
            acceleration = force * Self.power - gravityTerm
        }
        velocity = f32 ? Double(Float(velocity) + Float(acceleration)) : velocity + acceleration
        if velocity > Self.maxSpeed { velocity = Self.maxSpeed }
        if velocity < -Self.maxSpeed { velocity = -Self.maxSpeed }
        position = f32 ? Double(Float(position) + Float(velocity)) : position + velocity
        if position > Self.maxPosition { position = Self.maxPosition }
        if position < Self.minPosition { position = Self.minPosition }
        if position == Self.minPosition && velocity < 0 { velocity = 0 }

        let terminated =
            f32
            ? Float(position) >= Float(Self.goalPosition) && velocity >= Self.goalVelocity
            : position >= Self.goalPosition && velocity >= Self.goalVelocity
        var reward = terminated ? 100.0 : 0.0
        reward -= Double(a) * Double(a) * 0.1

        self.position = roundedToFloat(position)
        self.velocity = roundedToFloat(velocity)
        stateIsFloat32 = true
        return endStep(reward: reward, terminated: terminated, into: observation)
    }

    public func writeObservation(into observation: UnsafeMutableBufferPointer<Float>) {
        observation[0] = Float(position)
        observation[1] = Float(velocity)
    }
}

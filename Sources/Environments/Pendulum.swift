import PPOCore

/// Gymnasium's `Pendulum-v1` (`gymnasium/envs/classic_control/pendulum.py`).
///
/// State `[theta, theta_dot]` in Double (theta is not wrapped); observation `[cos theta, sin theta, theta_dot]`
/// as Float. The torque is the action clipped to [-2, 2] as float32. As under numpy 2's promotion rules,
/// `0.001 * u²` and `3 / (m l²) * u` are float32 products; everything else is double. Reward is minus the cost
/// of the state *before* the step; the env never terminates and is truncated at 200 steps.
public struct Pendulum: ClassicControl {
    public static let maxSpeed = 8.0
    public static let maxTorque = 2.0
    public static let dt = 0.05
    public static let g = 10.0
    public static let m = 1.0
    public static let l = 1.0
    /// Reset draws theta in [-pi, pi] and theta_dot in [-1, 1].
    public static let resetHigh = (Double.pi, 1.0)
    static let maxSteps = 200

    public static let spec = EnvironmentSpec(
        id: "Pendulum-v1",
        observationSpace: .box(low: [-1, -1, -Float(maxSpeed)], high: [1, 1, Float(maxSpeed)]),
        actionSpace: .box(low: [-Float(maxTorque)], high: [Float(maxTorque)]),
        maxEpisodeSteps: maxSteps,
        rewardThreshold: nil,
        stateNames: ["theta", "theta_dot"])
    public static let stepShape = StepShape(spec)

    public var rng: RNG
    public var elapsedSteps = 0
    var theta = 0.0
    var thetaDot = 0.0

    /// A Pendulum whose `rng` is seeded with `seed`, already reset.
    public init(seed: UInt64 = 0) {
        rng = RNG(seed: seed)
        resetState()
    }

    public var state: [Double] {
        get { [theta, thetaDot] }
        set {
            checkStateForSetter(newValue, Self.spec)
            theta = newValue[0]
            thetaDot = newValue[1]
        }
    }

    public mutating func resetState() {
        theta = rng.uniform(-Self.resetHigh.0, Self.resetHigh.0)
        thetaDot = rng.uniform(-Self.resetHigh.1, Self.resetHigh.1)
        elapsedSteps = 0
    }

    /// `((x + pi) mod 2pi) - pi` with numpy's floor modulo.
    @inline(__always)
    static func angleNormalize(_ x: Double) -> Double {
        floorModulo(x + Double.pi, 2 * Double.pi) - Double.pi
    }

    public mutating func step(
        action: UnsafeBufferPointer<Float>, into observation: UnsafeMutableBufferPointer<Float>
    ) throws(EnvironmentError) -> StepResult {
        _ = try beginStep(action, observation)
        let th = theta
        let thdot = thetaDot
        let u = min(max(action[0], -Float(Self.maxTorque)), Float(Self.maxTorque))  // float32, like np.clip
        let normalized = Self.angleNormalize(th)
        let costs = normalized * normalized + 0.1 * (thdot * thdot) + Double(Float(0.001) * (u * u))
        let torqueTerm = Double(Float(3.0 / (Self.m * Self.l * Self.l)) * u)
        var newThetaDot = thdot + (3 * Self.g / (2 * Self.l) * sine(th) + torqueTerm) * Self.dt
        newThetaDot = min(max(newThetaDot, -Self.maxSpeed), Self.maxSpeed)
        let newTheta = th + newThetaDot * Self.dt
        theta = newTheta
        thetaDot = newThetaDot
        return endStep(reward: -costs, terminated: false, into: observation)
    }

    public func writeObservation(into observation: UnsafeMutableBufferPointer<Float>) {
        observation[0] = Float(cosine(theta))
        observation[1] = Float(sine(theta))
        observation[2] = Float(thetaDot)
    }
}

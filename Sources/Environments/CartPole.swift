import PPOCore

/// Gymnasium's `CartPole-v1` (`gymnasium/envs/classic_control/cartpole.py`, Euler integrator).
///
/// State `[x, x_dot, theta, theta_dot]` in Double; observation is the state as Float. Action 1 pushes right with
/// `forceMag`, 0 pushes left. Reward 1 on every step including the terminating one; stepping again after
/// termination (without a reset) gives reward 0, as Gymnasium does.
public struct CartPole: ClassicControl {
    public static let gravity = 9.8
    public static let massCart = 1.0
    public static let massPole = 0.1
    public static let totalMass = massPole + massCart
    /// Half the pole's length (Gymnasium's `length`).
    public static let length = 0.5
    public static let poleMassLength = massPole * length
    public static let forceMag = 10.0
    public static let tau = 0.02
    /// 12 degrees, computed as Gymnasium does: `12 * 2 * math.pi / 360`.
    public static let thetaThresholdRadians = 12.0 * 2.0 * Double.pi / 360.0
    public static let xThreshold = 2.4
    public static let resetBound = 0.05
    static let maxSteps = 500

    public static let spec = EnvironmentSpec(
        id: "CartPole-v1",
        observationSpace: .box(
            low: [-Float(xThreshold * 2), -.infinity, -Float(thetaThresholdRadians * 2), -.infinity],
            high: [Float(xThreshold * 2), .infinity, Float(thetaThresholdRadians * 2), .infinity]),
        actionSpace: .discrete(2),
        maxEpisodeSteps: maxSteps,
        rewardThreshold: 475.0,
        stateNames: ["x", "x_dot", "theta", "theta_dot"])
    public static let stepShape = StepShape(spec)

    public var rng: RNG
    public var elapsedSteps = 0
    var x = 0.0
    var xDot = 0.0
    var theta = 0.0
    var thetaDot = 0.0
    /// Gymnasium's `steps_beyond_terminated`: nil until the step that terminates.
    var stepsBeyondTerminated: Int?

    /// A CartPole whose `rng` is seeded with `seed`, already reset.
    public init(seed: UInt64 = 0) {
        rng = RNG(seed: seed)
        resetState()
    }

    /// Setting the state also forgets a past termination (the after-termination reward of 0 starts over).
    public var state: [Double] {
        get { [x, xDot, theta, thetaDot] }
        set {
            checkStateForSetter(newValue, Self.spec)
            x = newValue[0]
            xDot = newValue[1]
            theta = newValue[2]
            thetaDot = newValue[3]
            stepsBeyondTerminated = nil
        }
    }

    public mutating func resetState() {
        x = rng.uniform(-Self.resetBound, Self.resetBound)
        xDot = rng.uniform(-Self.resetBound, Self.resetBound)
        theta = rng.uniform(-Self.resetBound, Self.resetBound)
        thetaDot = rng.uniform(-Self.resetBound, Self.resetBound)
        stepsBeyondTerminated = nil
        elapsedSteps = 0
    }

    public mutating func step(
        action: UnsafeBufferPointer<Float>, into observation: UnsafeMutableBufferPointer<Float>
    ) throws(EnvironmentError) -> StepResult {
        let index = try beginStep(action, observation)
        let force = index == 1 ? Self.forceMag : -Self.forceMag
        let cosTheta = cosine(theta)
        let sinTheta = sine(theta)
        // Same expressions, same evaluation order as Gymnasium (left to right).
        let temp = (force + Self.poleMassLength * (thetaDot * thetaDot) * sinTheta) / Self.totalMass
        let thetaAcc =
            (Self.gravity * sinTheta - cosTheta * temp)
            / (Self.length * (4.0 / 3.0 - Self.massPole * (cosTheta * cosTheta) / Self.totalMass))
        let xAcc = temp - Self.poleMassLength * thetaAcc * cosTheta / Self.totalMass
        x = x + Self.tau * xDot
        xDot = xDot + Self.tau * xAcc
        theta = theta + Self.tau * thetaDot
        thetaDot = thetaDot + Self.tau * thetaAcc

        let terminated =
            x < -Self.xThreshold || x > Self.xThreshold
            || theta < -Self.thetaThresholdRadians || theta > Self.thetaThresholdRadians
        var reward = 1.0
        if terminated {
            if let beyond = stepsBeyondTerminated {
                stepsBeyondTerminated = beyond + 1
                reward = 0.0
            } else {
                stepsBeyondTerminated = 0
            }
        }
        return endStep(reward: reward, terminated: terminated, into: observation)
    }

    public func writeObservation(into observation: UnsafeMutableBufferPointer<Float>) {
        observation[0] = Float(x)
        observation[1] = Float(xDot)
        observation[2] = Float(theta)
        observation[3] = Float(thetaDot)
    }
}

import PPOCore

/// Gymnasium's `Acrobot-v1` (`gymnasium/envs/classic_control/acrobot.py`, "book" dynamics, no torque noise).
///
/// State `[theta1, theta2, dtheta1, dtheta2]` in Double (the reset state is rounded to float32, as Gymnasium's
/// `astype(np.float32)`). One RK4 step of length `dt` per env step; angles wrapped to [-pi, pi] with Gymnasium's
/// while-loop `wrap`, velocities clipped. Observation `[cos t1, sin t1, cos t2, sin t2, dt1, dt2]` as Float.
/// Reward -1 per step, 0 on the terminating step.
public struct Acrobot: ClassicControl {
    public static let dt = 0.2
    public static let linkLength1 = 1.0
    public static let linkLength2 = 1.0
    public static let linkMass1 = 1.0
    public static let linkMass2 = 1.0
    public static let linkCOMPosition1 = 0.5
    public static let linkCOMPosition2 = 0.5
    public static let linkMOI = 1.0
    public static let maxVelocity1 = 4 * Double.pi
    public static let maxVelocity2 = 9 * Double.pi
    public static let availableTorque: [Double] = [-1.0, 0.0, 1.0]
    public static let g = 9.8
    public static let resetBound = 0.1
    static let maxSteps = 500

    public static let spec = EnvironmentSpec(
        id: "Acrobot-v1",
        observationSpace: .box(
            low: [-1, -1, -1, -1, -Float(maxVelocity1), -Float(maxVelocity2)],
            high: [1, 1, 1, 1, Float(maxVelocity1), Float(maxVelocity2)]),
        actionSpace: .discrete(3),
        maxEpisodeSteps: maxSteps,
        rewardThreshold: -100.0,
        stateNames: ["theta1", "theta2", "dtheta1", "dtheta2"])
    public static let stepShape = StepShape(spec)

    public var rng: RNG
    public var elapsedSteps = 0
    var s0 = 0.0
    var s1 = 0.0
    var s2 = 0.0
    var s3 = 0.0

    /// An Acrobot whose `rng` is seeded with `seed`, already reset.
    public init(seed: UInt64 = 0) {
        rng = RNG(seed: seed)
        resetState()
    }

    public var state: [Double] {
        get { [s0, s1, s2, s3] }
        set {
            checkStateForSetter(newValue, Self.spec)
            s0 = newValue[0]
            s1 = newValue[1]
            s2 = newValue[2]
            s3 = newValue[3]
        }
    }

    public mutating func resetState() {
        // uniform(-0.1, 0.1, size=4).astype(np.float32)
        s0 = roundedToFloat(rng.uniform(-Self.resetBound, Self.resetBound))
        s1 = roundedToFloat(rng.uniform(-Self.resetBound, Self.resetBound))
        s2 = roundedToFloat(rng.uniform(-Self.resetBound, Self.resetBound))
        s3 = roundedToFloat(rng.uniform(-Self.resetBound, Self.resetBound))
        elapsedSteps = 0
    }

    /// Gymnasium's `_dsdt` ("book" variant) for the state `(t1, t2, d1, d2)` and torque `a`; returns the
    /// derivatives `(d1, d2, dd1, dd2)`. Expressions keep Gymnasium's evaluation order.
    @inline(__always)
    static func derivatives(
        _ theta1: Double, _ theta2: Double, _ dtheta1: Double, _ dtheta2: Double, torque a: Double
    ) -> (Double, Double, Double, Double) {
        let m1 = linkMass1
        let m2 = linkMass2
        let l1 = linkLength1
        let lc1 = linkCOMPosition1
        let lc2 = linkCOMPosition2
        let I1 = linkMOI
        let I2 = linkMOI
        let g = 9.8
        let cosTheta2 = cosine(theta2)
        let sinTheta2 = sine(theta2)
        let d1 = m1 * (lc1 * lc1) + m2 * (l1 * l1 + lc2 * lc2 + 2 * l1 * lc2 * cosTheta2) + I1 + I2
        let d2 = m2 * (lc2 * lc2 + l1 * lc2 * cosTheta2) + I2
        let phi2 = m2 * lc2 * g * cosine(theta1 + theta2 - Double.pi / 2.0)
        let phi1 =
            -m2 * l1 * lc2 * (dtheta2 * dtheta2) * sinTheta2
            - 2 * m2 * l1 * lc2 * dtheta2 * dtheta1 * sinTheta2
            + (m1 * lc1 + m2 * l1) * g * cosine(theta1 - Double.pi / 2)
            + phi2
        let ddtheta2 =
            (a + d2 / d1 * phi1 - m2 * l1 * lc2 * (dtheta1 * dtheta1) * sinTheta2 - phi2)
            / (m2 * (lc2 * lc2) + I2 - (d2 * d2) / d1)
        let ddtheta1 = -(d2 * ddtheta2 + phi1) / d1
        return (dtheta1, dtheta2, ddtheta1, ddtheta2)
    }

    /// Gymnasium's `wrap`: subtract/add the range length until `x` is within [m, M].
    @inline(__always)
    static func wrap(_ x: Double, _ m: Double, _ M: Double) -> Double {
        var x = x
        let diff = M - m
        while x > M { x = x - diff }
        while x < m { x = x + diff }
        return x
    }

    public mutating func step(
        action: UnsafeBufferPointer<Float>, into observation: UnsafeMutableBufferPointer<Float>
    ) throws(EnvironmentError) -> StepResult {
        let index = try beginStep(action, observation)
        let torque = Double(index) - 1.0  // AVAIL_TORQUE[index]: -1, 0, +1

        // rk4(_dsdt, s_augmented, [0, dt]): one step.
        let dt = Self.dt - 0.0
        let dt2 = dt / 2.0
        let (y0, y1, y2, y3) = (s0, s1, s2, s3)
        let k1 = Self.derivatives(y0, y1, y2, y3, torque: torque)
        let k2 = Self.derivatives(
            y0 + dt2 * k1.0, y1 + dt2 * k1.1, y2 + dt2 * k1.2, y3 + dt2 * k1.3, torque: torque)
        let k3 = Self.derivatives(
            y0 + dt2 * k2.0, y1 + dt2 * k2.1, y2 + dt2 * k2.2, y3 + dt2 * k2.3, torque: torque)
        let k4 = Self.derivatives(
            y0 + dt * k3.0, y1 + dt * k3.1, y2 + dt * k3.2, y3 + dt * k3.3, torque: torque)
        let sixth = dt / 6.0
        var n0 = y0 + sixth * (k1.0 + 2 * k2.0 + 2 * k3.0 + k4.0)
        var n1 = y1 + sixth * (k1.1 + 2 * k2.1 + 2 * k3.1 + k4.1)
        var n2 = y2 + sixth * (k1.2 + 2 * k2.2 + 2 * k3.2 + k4.2)
        var n3 = y3 + sixth * (k1.3 + 2 * k2.3 + 2 * k3.3 + k4.3)

        n0 = Self.wrap(n0, -Double.pi, Double.pi)
        n1 = Self.wrap(n1, -Double.pi, Double.pi)
        n2 = min(max(n2, -Self.maxVelocity1), Self.maxVelocity1)
        n3 = min(max(n3, -Self.maxVelocity2), Self.maxVelocity2)
        s0 = n0
        s1 = n1
        s2 = n2
        s3 = n3

        let terminated = -cosine(s0) - cosine(s1 + s0) > 1.0
        return endStep(reward: terminated ? 0.0 : -1.0, terminated: terminated, into: observation)
    }

    public func writeObservation(into observation: UnsafeMutableBufferPointer<Float>) {
        observation[0] = Float(cosine(s0))
        observation[1] = Float(sine(s0))
        observation[2] = Float(cosine(s1))
        observation[3] = Float(sine(s1))
        observation[4] = Float(s2)
        observation[5] = Float(s3)
    }
}

import PPOCore

/// The track both mountain cars drive on — Gymnasium gives `MountainCar-v0` and `MountainCarContinuous-v0` the
/// same bounds, speed limit and reset range — and its observation space `(position, velocity)`.
public protocol MountainCarTrack {}

extension MountainCarTrack {
    public static var minPosition: Double { -1.2 }
    public static var maxPosition: Double { 0.6 }
    public static var maxSpeed: Double { 0.07 }
    public static var goalVelocity: Double { 0.0 }
    public static var resetPositionLow: Double { -0.6 }
    public static var resetPositionHigh: Double { -0.4 }

    static var trackSpace: Space {
        .box(low: [Float(minPosition), Float(-maxSpeed)], high: [Float(maxPosition), Float(maxSpeed)])
    }
}

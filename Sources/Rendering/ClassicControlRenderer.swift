import Foundation

/// The five classic-control envs drawn from their observations as Gymnasium's pygame renderers draw them (sizes,
/// proportions and colours of `render_mode="rgb_array"`), for videos without pygame. Works for the native envs and
/// their `gym:` twins alike, since it needs only the observation (Acrobot's and Pendulum's angles are recovered
/// from their cosines and sines). Not drawn: Pendulum's torque arrow.
public enum ClassicControlRenderer {
    /// White, black, then the envs' colours.
    public static let palette: [(UInt8, UInt8, UInt8)] = [
        (255, 255, 255), (0, 0, 0), (202, 152, 101), (129, 132, 203), (0, 204, 204), (204, 204, 0), (128, 128, 128), (204, 77, 77),
    ]
    enum Colour { static let white: UInt8 = 0, black: UInt8 = 1, pole: UInt8 = 2, axle: UInt8 = 3, link: UInt8 = 4, joint: UInt8 = 5, wheel: UInt8 = 6, rod: UInt8 = 7 }

    /// The env's name without `gym:`, if it is one this draws.
    static func kind(_ envID: String) -> String? {
        let id = envID.hasPrefix("gym:") ? String(envID.dropFirst(4)) : envID
        return ["CartPole-v1", "Acrobot-v1", "MountainCar-v0", "MountainCarContinuous-v0", "Pendulum-v1"].contains(id) ? id : nil
    }

    public static func canRender(_ envID: String) -> Bool { kind(envID) != nil }

    /// Gymnasium's `render_fps` of the env.
    public static func framesPerSecond(_ envID: String) -> Int {
        switch kind(envID) {
        case "CartPole-v1": 50
        case "Acrobot-v1": 15
        default: 30
        }
    }

    /// The frame of `observation`, or nil for an env this does not draw.
    public static func draw(_ envID: String, observation o: [Float]) -> Canvas? {
        let x = o.map(Double.init)
        switch kind(envID) {
        case "CartPole-v1" where x.count == 4: return cartPole(x[0], x[2])
        case "Acrobot-v1" where x.count == 6: return acrobot(atan2(x[1], x[0]), atan2(x[3], x[2]))
        case "MountainCar-v0" where x.count == 2: return mountainCar(x[0], goal: 0.5)
        case "MountainCarContinuous-v0" where x.count == 2: return mountainCar(x[0], goal: 0.45)
        case "Pendulum-v1" where x.count == 3: return pendulum(atan2(x[1], x[0]))
        default: return nil
        }
    }

    static func cartPole(_ position: Double, _ angle: Double) -> Canvas {
        var c = Canvas(width: 600, height: 400)
        let scale = 600 / 4.8, cartX = position * scale + 300, cartY = 100.0
        c.line(0, cartY, 600, cartY, thickness: 1, Colour.black)
        c.fillPolygon([(cartX - 25, cartY - 15), (cartX + 25, cartY - 15), (cartX + 25, cartY + 15), (cartX - 25, cartY + 15)], Colour.black)
        let axleY = cartY + 7.5, poleLength = scale * 1.0
        // The pole from 5 px below the axle to its tip, 10 px wide, turned by the angle (clockwise positive).
        let a = Double.pi / 2 - angle
        c.bar(x: cartX - 5 * cos(a), y: axleY - 5 * sin(a), length: poleLength, thickness: 10, angle: a, Colour.pole)
        c.fillCircle(x: cartX, y: axleY, radius: 5, Colour.axle)
        return c
    }

    static func acrobot(_ theta1: Double, _ theta2: Double) -> Canvas {
        var c = Canvas(width: 500, height: 500)
        let scale = 500 / 4.4, offset = 250.0
        c.line(-2.2 * scale + offset, scale + offset, 2.2 * scale + offset, scale + offset, thickness: 1, Colour.black)
        let p1 = (sin(theta1), -cos(theta1))
        for (start, angle) in [((0.0, 0.0), theta1 - .pi / 2), (p1, theta1 + theta2 - .pi / 2)] {
            let x = start.0 * scale + offset, y = start.1 * scale + offset
            c.bar(x: x, y: y, length: scale, thickness: 0.2 * scale, angle: angle, Colour.link)
            c.fillCircle(x: x, y: y, radius: 0.1 * scale, Colour.joint)
        }
        return c
    }

    static func mountainCar(_ position: Double, goal: Double) -> Canvas {
        var c = Canvas(width: 600, height: 400)
        let low = -1.2, scale = 600 / 1.8, clearance = 10.0
        func height(_ x: Double) -> Double { sin(3 * x) * 0.45 + 0.55 }
        var previous = (0.0, height(low) * scale)
        for i in 1..<100 {
            let x = low + 1.8 * Double(i) / 99
            let point = ((x - low) * scale, height(x) * scale)
            c.line(previous.0, previous.1, point.0, point.1, thickness: 1.5, Colour.black)
            previous = point
        }
        let angle = cos(3 * position), carX = (position - low) * scale, carY = clearance + height(position) * scale
        func turned(_ dx: Double, _ dy: Double) -> (Double, Double) {
            (carX + dx * cos(angle) - dy * sin(angle), carY + dx * sin(angle) + dy * cos(angle))
        }
        c.fillPolygon([turned(-20, 0), turned(20, 0), turned(20, 20), turned(-20, 20)], Colour.black)
        for dx in [10.0, -10.0] {
            let wheel = turned(dx, 0)
            c.fillCircle(x: wheel.0, y: wheel.1, radius: 8, Colour.wheel)
        }
        let flagX = (goal - low) * scale, flagY = height(goal) * scale
        c.line(flagX, flagY, flagX, flagY + 50, thickness: 1, Colour.black)
        c.fillPolygon([(flagX, flagY + 50), (flagX, flagY + 40), (flagX + 25, flagY + 45)], Colour.joint)
        return c
    }

    static func pendulum(_ theta: Double) -> Canvas {
        var c = Canvas(width: 500, height: 500)
        let scale = 500 / 4.4, offset = 250.0, width = 0.2 * scale
        let a = theta + .pi / 2
        c.bar(x: offset, y: offset, length: scale, thickness: width, angle: a, Colour.rod)
        c.fillCircle(x: offset, y: offset, radius: width / 2, Colour.rod)
        c.fillCircle(x: offset + scale * cos(a), y: offset + scale * sin(a), radius: width / 2, Colour.rod)
        c.fillCircle(x: offset, y: offset, radius: 0.05 * scale, Colour.black)
        return c
    }
}

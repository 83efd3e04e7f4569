import Environments
import Foundation
import PPOCore

/// The bridge's first message (BRIDGE.md §1.3), read into the spec of the environment it made.
enum BridgeHello {
    /// The spec of a started bridge, or the refusal it sent, as an error.
    static func spec(from hello: [String: Any], selection: EnvironmentSelection) throws(EnvironmentError) -> EnvironmentSpec {
        let envID = selection.id
        guard hello["ok"] as? Bool == true else {
            let kind = hello["kind"] as? String ?? "make_failed"
            let message = hello["message"] as? String ?? "the bridge refused to start"
            throw .bridge(.refused(envID: envID, kind: kind, message: String(message.prefix(2000))))
        }
        guard hello["bridge"] as? Int == 1 else {
            throw .bridge(.protocolViolation(envID: envID, detail: "the bridge speaks channel version \(hello["bridge"] ?? "none"), this program 1"))
        }
        let observation = try space(hello["observation"], "observation", envID)
        guard case .box(let low, _) = observation, !low.isEmpty, low.count <= 65535 else {
            throw .bridge(.protocolViolation(envID: envID, detail: "the observation space must be a Box of 1–65535 values"))
        }
        let action = try space(hello["action"], "action", envID)
        let maxSteps = hello["max_episode_steps"] as? Int ?? 0
        let threshold = (hello["reward_threshold"] as? Double).flatMap { $0.isFinite ? $0 : nil }
        let observationSource = try flattenedFrom(hello["observation_flattened_from"], "observation", envID)
        let actionSource = try flattenedFrom(hello["action_flattened_from"], "action", envID)
        var spec = EnvironmentSpec(
            id: envID, observationSpace: observation, actionSpace: action, maxEpisodeSteps: max(0, maxSteps),
            rewardThreshold: threshold, stateNames: [], observationFlattenedFrom: observationSource,
            actionFlattenedFrom: actionSource)
        spec.images = try images(hello["images"], observationSize: low.count, envID)
        return spec
    }

    /// The hello's `images` (none when it has none): each one's offset, shape (2 or 3 axes of 1–65535) and largest
    /// value (255 or 1), inside the observation and apart from one another.
    private static func images(_ value: Any?, observationSize: Int, _ envID: String) throws(EnvironmentError) -> [ImageLayout] {
        guard let value, !(value is NSNull) else { return [] }
        let malformed = EnvironmentError.bridge(.protocolViolation(
            envID: envID, detail: "the hello's images must be a list of {offset, shape, high} inside the observation"))
        guard let list = value as? [[String: Any]], list.count <= 64 else { throw malformed }
        var images: [ImageLayout] = [], end = 0
        for entry in list {
            guard let offset = entry["offset"] as? Int, let shape = entry["shape"] as? [Int], let high = entry["high"] as? Int,
                  high == 255 || high == 1, shape.allSatisfy({ (1...65535).contains($0) }), offset >= end,
                  offset <= observationSize, let image = ImageLayout(shape: shape, offset: offset, high: Double(high)),
                  image.size <= observationSize - offset else { throw malformed }
            images.append(image)
            end = offset + image.size
        }
        return images
    }

    /// The env's own space the bridge flattened, as Gymnasium prints it (up to 4,000 characters), or nil.
    private static func flattenedFrom(_ value: Any?, _ name: String, _ envID: String) throws(EnvironmentError) -> String? {
        guard let value, !(value is NSNull) else { return nil }
        guard let text = value as? String, !text.isEmpty, text.count <= 4000 else {
            throw .bridge(.protocolViolation(envID: envID, detail: "the hello's \(name)_flattened_from must be null or the space's text of 1–4000 characters"))
        }
        return text
    }

    /// The (H, W) of the frames a bridge started with `--render` sends: its hello's `frame`, 1–4096 a side.
    static func frame(from hello: [String: Any], envID: String) throws(EnvironmentError) -> (height: Int, width: Int) {
        guard let sides = hello["frame"] as? [Int], sides.count == 2, sides.allSatisfy({ (1...4096).contains($0) }) else {
            throw .bridge(.protocolViolation(envID: envID, detail: "a rendering bridge's hello needs a frame [H, W] of 1–4096 pixels a side"))
        }
        return (sides[0], sides[1])
    }

    private static func space(_ value: Any?, _ name: String, _ envID: String) throws(EnvironmentError) -> Space {
        guard let object = value as? [String: Any], let kind = object["kind"] as? String else {
            throw .bridge(.protocolViolation(envID: envID, detail: "the hello has no \(name) space"))
        }
        switch kind {
        case "discrete":
            guard let n = object["n"] as? Int, (1...65535).contains(n) else {
                throw .bridge(.protocolViolation(envID: envID, detail: "a Discrete \(name) space needs n in 1–65535"))
            }
            return .discrete(n)
        case "box":
            guard let low = bounds(object["low"]), let high = bounds(object["high"]), low.count == high.count,
                  (1...65535).contains(low.count), zip(low, high).allSatisfy({ !$0.isNaN && !$1.isNaN && $0 <= $1 })
            else {
                throw .bridge(.protocolViolation(envID: envID, detail: "the \(name) Box needs matching low ≤ high bounds of 1–65535 values"))
            }
            return .box(low: low, high: high)
        case "multi_discrete":
            guard let nvec = object["nvec"] as? [Int], (1...65535).contains(nvec.count),
                  nvec.allSatisfy({ (1...65535).contains($0) }), nvec.reduce(0, +) <= 65535
            else {
                throw .bridge(.protocolViolation(envID: envID, detail: "a MultiDiscrete \(name) space needs nvec of 1–65535 counts of 1 or more, 65535 in all at most"))
            }
            return .multiDiscrete(nvec)
        case "multi_binary":
            guard let n = object["n"] as? Int, (1...65535).contains(n) else {
                throw .bridge(.protocolViolation(envID: envID, detail: "a MultiBinary \(name) space needs n in 1–65535"))
            }
            return .multiBinary(n)
        default:
            throw .bridge(.protocolViolation(envID: envID, detail: "unknown \(name) space kind '\(kind)'"))
        }
    }

    /// Numbers, or the strings "inf" / "-inf".
    private static func bounds(_ value: Any?) -> [Float]? {
        guard let items = value as? [Any] else { return nil }
        var result: [Float] = []
        result.reserveCapacity(items.count)
        for item in items {
            if let number = item as? Double {
                result.append(Float(number))
            } else if let text = item as? String, text == "inf" || text == "-inf" {
                result.append(text == "inf" ? .infinity : -.infinity)
            } else {
                return nil
            }
        }
        return result
    }
}

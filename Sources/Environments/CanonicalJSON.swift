import Foundation

/// The canonical text of `gymnasium.make` keyword arguments (PROTOCOL.md §4.11): compact JSON, keys sorted, and a
/// number keeps the kind it was written as — `1.0` stays `1.0`, so Python receives a float, and `3` stays an int.
///
/// Why not JSONSerialization alone: it writes a float with no fraction as an integer (`1.0` → `1`,
/// `2.5e10` → `25000000000`), so an environment would receive `int` where the user wrote a float (NumPy then makes
/// integer arrays of it, and a type check refuses it). Strings are still escaped by JSONSerialization.
enum CanonicalJSON {
    /// The text of a value as `JSONSerialization.jsonObject` returns it (NSNumber, NSNull, String, arrays,
    /// dictionaries) or as Swift builds it (Bool, Int, Double); nil for what JSON cannot hold (a non-finite number,
    /// any other type).
    static func text(_ value: Any) -> String? {
        switch value {
        case is NSNull:
            return "null"
        case let string as String:
            guard let data = try? JSONSerialization.data(withJSONObject: string, options: [.fragmentsAllowed, .withoutEscapingSlashes])
            else { return nil }
            return String(decoding: data, as: UTF8.self)
        case let list as [Any]:
            var parts: [String] = []
            for element in list {
                guard let part = text(element) else { return nil }
                parts.append(part)
            }
            return "[" + parts.joined(separator: ",") + "]"
        case let object as [String: Any]:
            var parts: [String] = []
            for key in object.keys.sorted() {
                guard let name = text(key), let value = object[key].flatMap(text) else { return nil }
                parts.append(name + ":" + value)
            }
            return "{" + parts.joined(separator: ",") + "}"
        default:
            return scalar(value)
        }
    }

    /// A Bool, an integer or a float. Checked by exact type first: on Linux an NSNumber 1 also casts to Bool.
    private static func scalar(_ value: Any) -> String? {
        if let b = value as? Bool, type(of: value) == Bool.self { return b ? "true" : "false" }
        if let i = value as? Int, type(of: value) == Int.self { return String(i) }
        if let d = value as? Double, type(of: value) == Double.self { return float(d) }
        guard let number = value as? NSNumber else { return nil }
        switch String(cString: number.objCType) {
        case "c", "B": return number.boolValue ? "true" : "false"  // what JSONSerialization makes of true/false
        case "f", "d": return float(number.doubleValue)
        default: return String(number.int64Value)
        }
    }

    /// Swift's shortest round-trip form (`1.0`, `0.05`, `1e-05`, `25000000000.0`), which Python's json reads as a
    /// float; nil for infinity and NaN, which JSON cannot hold.
    private static func float(_ d: Double) -> String? {
        d.isFinite ? "\(d)" : nil
    }
}

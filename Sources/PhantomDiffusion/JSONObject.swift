import Foundation

/// A parsed JSON object with typed accessors that fail with the key and the
/// offending value, for reading diffusers' configuration files.
struct JSONObject {
    let values: [String: Any]
    /// The file the object came from, for error messages.
    let source: String

    init(data: Data, source: String) throws(ModelError) {
        let parsed: Any
        do {
            parsed = try JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])
        } catch {
            throw ModelError(path: source, reason: "not valid JSON (\(error.localizedDescription))")
        }
        guard let object = parsed as? [String: Any] else {
            throw ModelError(path: source, reason: "expected a JSON object at the top level")
        }
        values = object
        self.source = source
    }

    init(values: [String: Any], source: String) {
        self.values = values
        self.source = source
    }

    /// Whether a parsed JSON value is `true` or `false` (Foundation hands back numbers
    /// and booleans alike as NSNumber, and a number 1 also casts to Bool).
    static func isBoolean(_ value: Any) -> Bool {
        guard let number = value as? NSNumber else { return false }
        return type(of: number) == type(of: NSNumber(value: true))
    }

    func isNull(_ key: String) -> Bool { values[key] == nil || values[key] is NSNull }

    func fail(_ key: String, _ expectation: String) -> ModelError {
        let shown = values[key].map { Self.describe($0) } ?? "missing"
        return ModelError(path: source, reason: "\"\(key)\" = \(shown): \(expectation)")
    }

    static func describe(_ value: Any) -> String {
        if value is NSNull { return "null" }
        if let string = value as? String { return "\"\(string)\"" }
        if JSONSerialization.isValidJSONObject([value]),
           let data = try? JSONSerialization.data(withJSONObject: [value], options: [.sortedKeys]),
           let text = String(data: data, encoding: .utf8) {
            return String(text.dropFirst().dropLast())
        }
        return "\(value)"
    }

    func int(_ key: String, default fallback: Int? = nil) throws(ModelError) -> Int {
        if isNull(key), let fallback { return fallback }
        guard let number = values[key] as? NSNumber, !Self.isBoolean(values[key]!),
              let exact = Int(exactly: number.doubleValue) else {
            throw fail(key, "expected an integer")
        }
        return exact
    }

    func optionalInt(_ key: String) throws(ModelError) -> Int? {
        isNull(key) ? nil : try int(key)
    }

    func double(_ key: String, default fallback: Double? = nil) throws(ModelError) -> Double {
        if isNull(key), let fallback { return fallback }
        guard let number = values[key] as? NSNumber, !Self.isBoolean(values[key]!), number.doubleValue.isFinite else {
            throw fail(key, "expected a finite number")
        }
        return number.doubleValue
    }

    func bool(_ key: String, default fallback: Bool? = nil) throws(ModelError) -> Bool {
        if isNull(key), let fallback { return fallback }
        guard let value = values[key], Self.isBoolean(value), let flag = value as? Bool else {
            throw fail(key, "expected true or false")
        }
        return flag
    }

    func string(_ key: String, default fallback: String? = nil) throws(ModelError) -> String {
        if isNull(key), let fallback { return fallback }
        guard let text = values[key] as? String else { throw fail(key, "expected a string") }
        return text
    }

    func optionalString(_ key: String) throws(ModelError) -> String? {
        isNull(key) ? nil : try string(key)
    }

    func strings(_ key: String, default fallback: [String]? = nil) throws(ModelError) -> [String] {
        if isNull(key), let fallback { return fallback }
        guard let list = values[key] as? [Any], let texts = list as? [String] else {
            throw fail(key, "expected a list of strings")
        }
        return texts
    }

    func ints(_ key: String, default fallback: [Int]? = nil) throws(ModelError) -> [Int] {
        if isNull(key), let fallback { return fallback }
        guard let list = values[key] as? [Any] else { throw fail(key, "expected a list of integers") }
        var result: [Int] = []
        for item in list {
            guard let number = item as? NSNumber, !Self.isBoolean(item), let exact = Int(exactly: number.doubleValue) else {
                throw fail(key, "expected a list of integers")
            }
            result.append(exact)
        }
        return result
    }

    func doubles(_ key: String) throws(ModelError) -> [Double] {
        guard let list = values[key] as? [Any] else { throw fail(key, "expected a list of numbers") }
        var result: [Double] = []
        for item in list {
            guard let number = item as? NSNumber, !Self.isBoolean(item), number.doubleValue.isFinite else {
                throw fail(key, "expected a list of finite numbers")
            }
            result.append(number.doubleValue)
        }
        return result
    }

    /// Requires `key` to be absent, null or one of `allowed`.
    func require(_ key: String, in allowed: [String], default fallback: String) throws(ModelError) -> String {
        let value = try string(key, default: fallback)
        guard allowed.contains(value) else {
            throw fail(key, "Phantom supports " + allowed.map { "\"\($0)\"" }.joined(separator: ", "))
        }
        return value
    }
}


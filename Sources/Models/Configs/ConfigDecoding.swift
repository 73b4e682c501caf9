import Foundation

/// Reads a diffusers/transformers `config.json` into a `Decodable` config, naming the file and key on failure.
public func loadConfig<C: Decodable>(_ type: C.Type, from path: String) throws -> C {
    guard let data = FileManager.default.contents(atPath: path) else {
        throw ModelError.missingFile(path: path, hint: "Every model component folder needs its config.json.")
    }
    do {
        return try JSONDecoder().decode(C.self, from: data)
    } catch let DecodingError.typeMismatch(_, context), let DecodingError.valueNotFound(_, context) {
        throw ModelError.badConfig(path: path, reason: "key \(keyPath(context)) has the wrong type: \(context.debugDescription)")
    } catch let DecodingError.dataCorrupted(context) {
        throw ModelError.badConfig(path: path, reason: "\(keyPath(context).isEmpty ? "" : "key \(keyPath(context)): ")\(context.debugDescription)")
    } catch let DecodingError.keyNotFound(key, context) {
        throw ModelError.badConfig(path: path, reason: "required key \(keyPath(context, key)) is missing")
    } catch let error as ModelError {
        throw error
    } catch let error as ConfigValueError {
        throw ModelError.badConfig(path: path, reason: error.description)
    } catch {
        throw ModelError.badConfig(path: path, reason: "\(error)")
    }
}

private func keyPath(_ context: DecodingError.Context, _ last: CodingKey? = nil) -> String {
    (context.codingPath + (last.map { [$0] } ?? [])).map { $0.intValue.map(String.init) ?? $0.stringValue }
        .joined(separator: ".")
}

/// A config value ctxedit does not support (e.g. an activation it does not implement).
public struct ConfigValueError: Error, CustomStringConvertible {
    public let key: String
    public let value: String
    public let supported: [String]
    public init(key: String, value: String, supported: [String]) {
        self.key = key
        self.value = value
        self.supported = supported
    }
    public var description: String {
        "key \(key) = \(value) is not supported (supported: \(supported.joined(separator: ", ")))"
    }
}

/// Checks on decoded sizes and counts, so that a config that decodes also builds and runs: counts index loops
/// (`0..<layers`), sizes become tensor shapes, group and head counts must divide the channels they split.
enum ConfigCheck {
    static func atLeast(_ key: String, _ value: Int, _ minimum: Int) throws {
        guard value >= minimum else { throw ConfigValueError(key: key, value: "\(value)", supported: ["\(minimum) or more"]) }
    }

    /// A non-empty list of positive channel counts.
    static func channels(_ key: String, _ values: [Int]) throws {
        guard !values.isEmpty, values.allSatisfy({ $0 > 0 }) else {
            throw ConfigValueError(key: key, value: "\(values)", supported: ["a non-empty list of positive channel counts"])
        }
    }

    /// `parts` > 0 and dividing `channels` (group norm groups, attention heads).
    static func divides(_ key: String, _ parts: Int, _ channels: Int, _ what: String) throws {
        guard parts > 0, channels % parts == 0 else {
            throw ConfigValueError(key: key, value: "\(parts)", supported: ["a positive divisor of \(what) \(channels)"])
        }
    }
}

/// Snake-case JSON keys by name.
public struct AnyKey: CodingKey {
    public var stringValue: String
    public var intValue: Int? { nil }
    public init(_ s: String) { stringValue = s }
    public init?(stringValue: String) { self.stringValue = stringValue }
    public init?(intValue: Int) { nil }
}

extension KeyedDecodingContainer where K == AnyKey {
    /// The value at `key`, or `fallback` when the key is absent or null (diffusers' documented default).
    public func value<T: Decodable>(_ key: String, _ fallback: T) throws -> T {
        try decodeIfPresent(T.self, forKey: AnyKey(key)) ?? fallback
    }

    /// A string value that must be one of `allowed`.
    public func choice(_ key: String, _ fallback: String, allowed: [String]) throws -> String {
        let v = try value(key, fallback)
        guard allowed.contains(v) else { throw ConfigValueError(key: key, value: v, supported: allowed) }
        return v
    }

    /// An int or a per-block list of ints (diffusers accepts both for head counts), expanded to `count` entries.
    public func intOrList(_ key: String, count: Int) throws -> [Int]? {
        guard contains(AnyKey(key)), try !decodeNil(forKey: AnyKey(key)) else { return nil }
        if let single = try? decode(Int.self, forKey: AnyKey(key)) { return Array(repeating: single, count: count) }
        let list = try decode([Int].self, forKey: AnyKey(key))
        guard list.count == count else {
            throw ConfigValueError(key: key, value: "\(list)", supported: ["one value or \(count) values (one per block)"])
        }
        return list
    }
}

import Foundation
import Yams

/// A YAML node and where it came from. The typed accessors throw `PipelineError`s naming the file, the line and
/// the key, so every reader of a pipeline file reports problems the same way.
struct YAMLField {
    let node: Node
    /// Dotted path from the document root: `frames.count`, `edits[1].prompt`.
    let key: String
    let file: String

    /// 1-based line of the value.
    var line: Int? { node.mark?.line }

    func error(_ kind: PipelineError.Kind, _ problem: String, hint: String? = nil) -> PipelineError {
        PipelineError(kind, file: file, line: line, key: key, problem: problem, hint: hint)
    }

    /// `~`, `null` or nothing at all (`key:` with no value).
    var isNull: Bool {
        guard let scalar = node.scalar, scalar.style == .plain || scalar.style == .any else { return false }
        return ["", "~", "null", "Null", "NULL"].contains(scalar.string)
    }

    /// What the value looks like, for messages.
    var shape: String {
        switch node {
        case .scalar(let s): return isNull ? "nothing (null)" : "\"\(s.string)\""
        case .mapping: return "a mapping (key: value lines)"
        case .sequence: return "a list"
        }
    }

    /// The text of any scalar, as written (`yes` stays "yes", `12` stays "12").
    func string() throws -> String {
        guard let scalar = node.scalar, !isNull else { throw error(.invalidValue, "expected text, found \(shape)") }
        return scalar.string
    }

    func int() throws -> Int {
        guard node.scalar != nil, let value = Int(try string().trimmingCharacters(in: .whitespaces)) else {
            throw error(.invalidValue, "expected a whole number, found \(shape)")
        }
        return value
    }

    func double() throws -> Double {
        guard node.scalar != nil, let value = Double(try string().trimmingCharacters(in: .whitespaces)),
              value.isFinite else {
            throw error(.invalidValue, "expected a number, found \(shape)")
        }
        return value
    }

    /// `true`/`false`, and YAML 1.1's `yes`/`no`/`on`/`off`.
    func bool() throws -> Bool {
        switch (node.scalar?.string ?? "").lowercased() {
        case "true", "yes", "on": return true
        case "false", "no", "off": return false
        default: throw error(.invalidValue, "expected true or false, found \(shape)")
        }
    }

    /// The items of a list; a single scalar counts as a list of one.
    func list() throws -> [YAMLField] {
        switch node {
        case .sequence(let items):
            return items.enumerated().map { YAMLField(node: $1, key: "\(key)[\($0)]", file: file) }
        case .scalar where !isNull:
            return [self]
        default:
            throw error(.invalidValue, "expected a list, found \(shape)")
        }
    }

    func mapping() throws -> YAMLMapping {
        guard case .mapping(let pairs) = node else {
            throw error(.invalidValue, "expected a mapping (key: value lines), found \(shape)")
        }
        var entries: [(name: String, keyLine: Int?, value: YAMLField)] = []
        for (k, v) in pairs {
            let name = k.scalar?.string ?? "\(k)"
            let path = key.isEmpty ? name : "\(key).\(name)"
            if entries.contains(where: { $0.name == name }) {
                throw PipelineError(.invalidValue, file: file, line: k.mark?.line, key: path,
                                    problem: "the key appears twice", hint: "keep one of them")
            }
            entries.append((name, k.mark?.line, YAMLField(node: v, key: path, file: file)))
        }
        return YAMLMapping(field: self, entries: entries)
    }
}

/// The entries of a YAML mapping, read by name.
struct YAMLMapping {
    let field: YAMLField
    let entries: [(name: String, keyLine: Int?, value: YAMLField)]

    var names: [String] { entries.map(\.name) }

    /// The value under `name`, or nil when the key is absent or its value is null.
    func optional(_ name: String) -> YAMLField? {
        guard let entry = entries.first(where: { $0.name == name }), !entry.value.isNull else { return nil }
        return entry.value
    }

    func required(_ name: String, hint: String? = nil) throws -> YAMLField {
        guard let value = optional(name) else {
            let path = field.key.isEmpty ? name : "\(field.key).\(name)"
            throw PipelineError(.missingKey, file: field.file, line: field.line, key: path,
                                problem: "missing required key \"\(name)\"", hint: hint)
        }
        return value
    }

    /// Throws for the first key not in `known` (nor starting with `extensionPrefix`), suggesting the nearest known one.
    func checkKnown(_ known: [String], extensionPrefix: String? = nil) throws {
        for entry in entries where !known.contains(entry.name) {
            if let extensionPrefix, entry.name.hasPrefix(extensionPrefix) { continue }
            let near = known.min { editDistance($0, entry.name) < editDistance($1, entry.name) }
            let suggestion = near.flatMap { editDistance($0, entry.name) <= 2 ? "did you mean \"\($0)\"? " : nil } ?? ""
            throw PipelineError(.unknownKey, file: field.file, line: entry.keyLine, key: entry.value.key,
                                problem: "unknown key",
                                hint: suggestion + "Known keys here: \(known.joined(separator: ", "))")
        }
    }

    /// `name` and the line of its key, for keys ctxedit reads but does not use.
    func keysNot(in used: [String]) -> [(key: String, line: Int?)] {
        entries.filter { !used.contains($0.name) }.map { ($0.value.key, $0.keyLine) }
    }
}

/// Levenshtein distance, for "did you mean" hints.
func editDistance(_ a: String, _ b: String) -> Int {
    let a = Array(a), b = Array(b)
    var previous = Array(0...b.count)
    for i in 1...max(1, a.count) where !a.isEmpty {
        var current = [i] + Array(repeating: 0, count: b.count)
        for j in 1...max(1, b.count) where !b.isEmpty {
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
        }
        previous = current
    }
    return a.isEmpty ? b.count : previous[b.count]
}

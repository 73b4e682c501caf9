import Foundation

/// A problem with a pipeline file, located by file, line and key (`edits[1].prompt`), with a hint for the fix.
public struct PipelineError: Error, Equatable, CustomStringConvertible, LocalizedError {
    public enum Kind: Equatable, Sendable {
        /// The file could not be read, or is not YAML.
        case unreadable
        /// A key ctxedit's schema does not know.
        case unknownKey
        /// A value of the wrong type or out of range.
        case invalidValue
        /// A required key is absent.
        case missingKey
        /// The inputs the file names cannot be listed (no such folder, a glob that matches nothing, ...).
        case badInput
    }

    public var kind: Kind
    public var file: String
    /// 1-based line in `file`, when known.
    public var line: Int?
    /// Dotted path of the key (`frames.count`, `edits[2].prompt`); empty for the whole document.
    public var key: String
    public var problem: String
    public var hint: String?

    public init(_ kind: Kind, file: String, line: Int?, key: String, problem: String, hint: String? = nil) {
        self.kind = kind
        self.file = file
        self.line = line
        self.key = key
        self.problem = problem
        self.hint = hint
    }

    /// `FILE:LINE: KEY: PROBLEM. HINT`, as compilers print locations.
    public var description: String {
        var text = file
        if let line { text += ":\(line)" }
        text += ": "
        if !key.isEmpty { text += "\(key): " }
        text += problem
        if let hint, let first = hint.first { text += ". " + first.uppercased() + hint.dropFirst() }
        return text
    }

    public var errorDescription: String? { description }
}

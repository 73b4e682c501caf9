import Foundation

/// Turns paths written in a pipeline file into paths to open: `~` expanded, relative paths joined to a base
/// folder, `.` and `..` folded lexically (`Pipelines/../Samples` → `Samples`).
struct PathResolver {
    /// Folders relative paths are tried against, in order; the first where the path exists wins, else the first.
    let bases: [String]

    func resolve(_ path: String) -> String {
        let expanded = (path as NSString).expandingTildeInPath
        if expanded.hasPrefix("/") { return Self.normalize(expanded) }
        let candidates = bases.map { Self.normalize(($0 as NSString).appendingPathComponent(expanded)) }
        return candidates.first { FileManager.default.fileExists(atPath: $0) } ?? candidates.first ?? expanded
    }

    /// Lexical normalisation; keeps leading `..` of relative paths.
    static func normalize(_ path: String) -> String {
        let absolute = path.hasPrefix("/")
        var parts: [Substring] = []
        for part in path.split(separator: "/") {
            switch part {
            case ".": continue
            case "..":
                if let last = parts.last, last != ".." { parts.removeLast() } else if !absolute { parts.append(part) }
            default: parts.append(part)
            }
        }
        let joined = parts.joined(separator: "/")
        return absolute ? "/" + joined : (joined.isEmpty ? "." : joined)
    }

    /// The folder holding `file` (`.` for a bare name).
    static func folder(of file: String) -> String {
        let dir = (file as NSString).deletingLastPathComponent
        return dir.isEmpty ? "." : dir
    }
}

/// Lower-case words joined by dashes, at most 48 characters: an edit's default name.
func slug(_ text: String) -> String {
    let words = text.lowercased().split { !($0.isASCII && ($0.isLetter || $0.isNumber)) }
    var s = words.joined(separator: "-")
    if s.count > 48 { s = String(s.prefix(48)).trimmingCharacters(in: CharacterSet(charactersIn: "-")) }
    return s.isEmpty ? "edit" : s
}

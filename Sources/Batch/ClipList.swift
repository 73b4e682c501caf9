import Foundation

/// A clip to edit: where it is, its caption, and the name of its output folder.
public struct ClipEntry: Sendable, Equatable, Hashable {
    /// File-name-safe and unique within the pipeline: outputs go to `OUT/ID/`.
    public var id: String
    public var path: String
    public var caption: String
    public var origin: Origin
}

/// Lists the clips a pipeline's `input` names and reads their captions.
public enum ClipList {
    /// Extensions taken as clips when listing a folder or matching a glob.
    public static let videoExtensions: Set<String> = ["mp4", "m4v", "mov", "mkv", "avi", "webm", "gif"]
    static let imageExtensions: Set<String> = ["png", "jpg", "jpeg"]

    public static func expand(_ input: InputSpec) throws -> [ClipEntry] {
        var specs: [ClipSpec]
        switch input.source {
        case .clips(let list):
            specs = list
        case .folder(let folder):
            var isDir: ObjCBool = false
            guard FileManager.default.fileExists(atPath: folder, isDirectory: &isDir), isDir.boolValue else {
                throw PipelineError(.badInput, file: input.origin.file, line: input.origin.line, key: input.origin.key,
                                    problem: "\(folder) is not a folder", hint: "check the path (relative paths start at the pipeline file's folder)")
            }
            let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
            specs = names.sorted().map { (folder as NSString).appendingPathComponent($0) }
                .filter(isClip).map { ClipSpec(path: $0, caption: nil, origin: input.origin) }
            if specs.isEmpty {
                throw PipelineError(.badInput, file: input.origin.file, line: input.origin.line, key: input.origin.key,
                                    problem: "\(folder) holds no clips", hint: "clips are \(videoExtensions.sorted().joined(separator: ", ")) files or folders of numbered PNG/JPEG frames")
            }
        case .glob(let pattern):
            specs = Glob.paths(matching: pattern).filter(isClip).map { ClipSpec(path: $0, caption: nil, origin: input.origin) }
            if specs.isEmpty {
                throw PipelineError(.badInput, file: input.origin.file, line: input.origin.line, key: input.origin.key,
                                    problem: "no clip matches \(pattern)", hint: "check the pattern; it is matched from the pipeline file's folder")
            }
        }
        var used: Set<String> = []
        return try specs.map { spec in
            let id = uniqueID(for: spec.path, used: &used)
            let caption = try spec.caption ?? {
                switch input.caption {
                case .text(let text): return text
                case .sidecar: return try sidecarCaption(for: spec.path) ?? ""
                }
            }()
            return ClipEntry(id: id, path: spec.path, caption: caption, origin: spec.origin)
        }
    }

    /// A video file by extension, or a folder holding only PNG/JPEG frames (and perhaps caption files).
    static func isClip(_ path: String) -> Bool {
        let name = (path as NSString).lastPathComponent
        if name.hasPrefix(".") { return false }
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else { return false }
        guard isDir.boolValue else { return videoExtensions.contains((name as NSString).pathExtension.lowercased()) }
        let files = ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).filter { !$0.hasPrefix(".") }
        let kinds = files.map { ($0 as NSString).pathExtension.lowercased() }
        return kinds.contains(where: imageExtensions.contains) && kinds.allSatisfy { imageExtensions.contains($0) || $0 == "txt" }
    }

    /// The file name without extension, made file-name-safe; `-2`, `-3`, ... when two clips share it.
    static func uniqueID(for path: String, used: inout Set<String>) -> String {
        let stem = ((path as NSString).lastPathComponent as NSString).deletingPathExtension
        var base = String(stem.map { $0.isASCII && ($0.isLetter || $0.isNumber || "._-".contains($0)) ? $0 : "-" })
        if base.isEmpty || base.hasPrefix(".") { base = "clip" + base }
        var id = base, n = 2
        while used.contains(id) { id = "\(base)-\(n)"; n += 1 }
        used.insert(id)
        return id
    }

    /// The caption in `VIDEO.txt` beside the clip (or `VIDEO.mp4.txt`), if any.
    public static func sidecarCaption(for clip: String) throws -> String? {
        let trimmed = clip.hasSuffix("/") ? String(clip.dropLast()) : clip
        for candidate in [(trimmed as NSString).deletingPathExtension + ".txt", trimmed + ".txt"]
        where candidate != trimmed && FileManager.default.fileExists(atPath: candidate) {
            let text = (try? String(contentsOfFile: candidate, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
            if let text, !text.isEmpty { return text }
        }
        return nil
    }
}

import Foundation

/// Where a pipeline's results go:
///
///     OUT/index.html                 the gallery
///     OUT/ctxedit-run.json           marks a pipeline output folder (pipeline file, version, last run)
///     OUT/CLIP/source.mp4            the selected source frames, as edited (size, count)
///     OUT/CLIP/EDIT.mp4, EDIT.gif    each edit's clip
///     OUT/CLIP/EDIT.manifest.json    how it was made; written last, so its presence means "complete"
///     OUT/CLIP/EDIT.failed.json      why it failed (removed when it later succeeds)
///     OUT/CLIP/strip.png             source row, then one row per edit
public struct OutputLayout: Sendable, Equatable {
    public var folder: String

    public init(folder: String) {
        self.folder = folder
    }

    public func clipFolder(_ clipID: String) -> String { join(folder, clipID) }
    public func output(_ job: Job, _ format: OutputFormat) -> String { join(clipFolder(job.clip.id), "\(job.edit.name).\(format.rawValue)") }
    public func manifest(_ job: Job) -> String { join(clipFolder(job.clip.id), "\(job.edit.name).manifest.json") }
    public func failure(_ job: Job) -> String { join(clipFolder(job.clip.id), "\(job.edit.name).failed.json") }
    public func source(_ clipID: String, _ format: OutputFormat) -> String { join(clipFolder(clipID), "source.\(format.rawValue)") }
    public func strip(_ clipID: String) -> String { join(clipFolder(clipID), "strip.png") }
    public var gallery: String { join(folder, "index.html") }
    public var runRecord: String { join(folder, Self.runRecordName) }

    public static let runRecordName = "ctxedit-run.json"
    static let manifestSuffix = ".manifest.json"

    func join(_ a: String, _ b: String) -> String { (a as NSString).appendingPathComponent(b) }

    /// Whether `path` is a folder a pipeline run wrote (it holds `ctxedit-run.json`).
    public static func isPipelineOutput(_ path: String) -> Bool {
        FileManager.default.fileExists(atPath: (path as NSString).appendingPathComponent(runRecordName))
    }
}

import Foundation

/// Per-process scratch space and the fixtures the targets read (found once, reused for every input).
final class FuzzContext: @unchecked Sendable {
    static let shared = FuzzContext()

    /// A private folder under the temporary directory, removed at exit.
    let scratch: String
    /// The project root (holding `Tests/Fixtures`): `CTXEDIT_ROOT`, else the first parent of the current folder
    /// or of this executable that has one.
    let root: String?

    private init() {
        let base = ProcessInfo.processInfo.environment["TMPDIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp"
        scratch = (base as NSString).appendingPathComponent("ctxedit-fuzz-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        try? FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        root = Self.findRoot()
        atexit { FuzzContext.removeScratch() }
    }

    /// `atexit` takes a C function; it finds the folder through `shared`.
    static func removeScratch() { try? FileManager.default.removeItem(atPath: shared.scratch) }

    static func findRoot() -> String? {
        let env = ProcessInfo.processInfo.environment
        if let root = env["CTXEDIT_ROOT"], !root.isEmpty { return root }
        let starts = [FileManager.default.currentDirectoryPath, CommandLine.arguments.first.map {
            URL(fileURLWithPath: $0).deletingLastPathComponent().path } ?? "",
            URL(fileURLWithPath: #filePath).deletingLastPathComponent().path]
        for start in starts where !start.isEmpty {
            var url = URL(fileURLWithPath: start).standardizedFileURL
            for _ in 0..<8 {
                if FileManager.default.fileExists(atPath: url.appendingPathComponent("Tests/Fixtures/pipelines").path) {
                    return url.path
                }
                url.deleteLastPathComponent()
            }
        }
        return nil
    }

    /// `Tests/Fixtures/NAME` under the project root; a missing fixture stops the run (the harness is broken, not
    /// the parser).
    func fixture(_ name: String) -> String {
        guard let root else {
            FileHandle.standardError.write(Data("ctxedit-fuzz: cannot find Tests/Fixtures; run from the project root or set CTXEDIT_ROOT\n".utf8))
            exit(2)
        }
        return root + "/Tests/Fixtures/" + name
    }

    /// Writes `data` to `name` in the scratch folder (creating sub-folders) and returns the path.
    func write(_ data: Data, to name: String) -> String {
        let path = (scratch as NSString).appendingPathComponent(name)
        let folder = (path as NSString).deletingLastPathComponent
        if !FileManager.default.fileExists(atPath: folder) {
            try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        }
        guard FileManager.default.createFile(atPath: path, contents: data) else {
            FileHandle.standardError.write(Data("ctxedit-fuzz: cannot write \(path)\n".utf8))
            exit(2)
        }
        return path
    }
}

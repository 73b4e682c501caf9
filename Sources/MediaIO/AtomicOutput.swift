import Foundation

/// Writes an output through a temporary file beside it, renamed into place only when complete,
/// so an interrupted or failed write never leaves a half-written file at the target path.
public enum AtomicOutput {
    /// Refuses to write `path` when it names one of `inputs` (after resolving `..` and symlinks).
    public static func checkNotInput(_ path: String, inputs: [String]) throws {
        let target = canonical(path)
        for input in inputs where canonical(input) == target {
            throw MediaError.outputIsInput(path: path)
        }
    }

    /// Runs `body` with a temporary path in the target's folder, then renames it to `path`.
    /// The temporary file keeps the target's extension (some writers choose the format from it).
    public static func write(to path: String, inputs: [String] = [], _ body: (String) throws -> Void) throws {
        try checkNotInput(path, inputs: inputs)
        let url = URL(fileURLWithPath: path)
        let dir = url.deletingLastPathComponent().path
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: dir, isDirectory: &isDir), isDir.boolValue else {
            throw MediaError.writeFailed(path: path, reason: "the folder \(dir) does not exist")
        }
        let ext = url.pathExtension
        let temp = (dir as NSString).appendingPathComponent(
            ".\(url.deletingPathExtension().lastPathComponent).partial-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
                + (ext.isEmpty ? "" : ".\(ext)"))
        do {
            try body(temp)
            guard rename(temp, path) == 0 else {
                throw MediaError.writeFailed(path: path, reason: String(cString: strerror(errno)))
            }
        } catch MediaError.writeFailed(let failed, let reason) where failed == temp {
            unlink(temp)
            throw MediaError.writeFailed(path: path, reason: reason)  // name the output, not its temporary file
        } catch {
            unlink(temp)
            throw error
        }
    }

    /// Writes `data` atomically.
    public static func write(_ data: Data, to path: String, inputs: [String] = []) throws {
        try write(to: path, inputs: inputs) { temp in
            do { try data.write(to: URL(fileURLWithPath: temp)) } catch {
                throw MediaError.writeFailed(path: path, reason: error.localizedDescription)
            }
        }
    }

    static func canonical(_ path: String) -> String {
        URL(fileURLWithPath: path).standardizedFileURL.resolvingSymlinksInPath().path
    }
}

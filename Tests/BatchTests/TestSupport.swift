import Foundation
import Testing

/// The package root (Tests/BatchTests/ is two levels down).
let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().path
let tinyModelPath = packageRoot + "/Tests/Fixtures/pipelines/sd1-tiny"
let samplesPath = packageRoot + "/Samples"
let referenceJeep = "/work/shared/reference/contextdiff-jeep.yaml"

/// A fresh folder under the system temporary directory.
func temporaryFolder(_ name: String = #function) throws -> String {
    let safe = name.filter { $0.isLetter || $0.isNumber }
    let path = NSTemporaryDirectory() + "/ctxedit-batch-\(safe)-\(UUID().uuidString.prefix(8))"
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

func write(_ text: String, to path: String) throws {
    try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
    try text.write(toFile: path, atomically: true, encoding: .utf8)
}

/// Copies sample clips (and their caption sidecars) into `folder`.
func copySamples(_ names: [String], to folder: String) throws {
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    for name in names {
        for ext in ["mp4", "txt"] {
            try FileManager.default.copyItem(atPath: "\(samplesPath)/\(name).\(ext)", toPath: "\(folder)/\(name).\(ext)")
        }
    }
}

/// Every file under `folder`, relative, sorted.
func listFiles(_ folder: String) -> [String] {
    (FileManager.default.enumerator(atPath: folder)?.allObjects as? [String] ?? []).sorted()
}

/// The built `ctxedit` executable: `$CTXEDIT_BIN`, or next to the test bundle (the BatchTests target depends on
/// `ctxedit`, so `swift test` builds it into the same folder).
func ctxeditBinary() throws -> String {
    if let env = ProcessInfo.processInfo.environment["CTXEDIT_BIN"] { return env }
    var folders: [URL] = [Bundle.main.bundleURL, Bundle.main.bundleURL.deletingLastPathComponent()]
    if let exe = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
        folders.insert(URL(fileURLWithPath: exe).deletingLastPathComponent(), at: 0)
    }
    for folder in folders {
        let candidate = folder.appendingPathComponent("ctxedit").path
        if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
    }
    throw CLIError("no built ctxedit next to the test bundle (looked in \(folders.map(\.path))); run `swift build` or set CTXEDIT_BIN")
}

struct CLIError: Error, CustomStringConvertible {
    let description: String
    init(_ d: String) { description = d }
}

/// What a run of the executable printed and returned.
struct CLIResult {
    var status: Int32
    var stdout: String
    var stderr: String
    var all: String { stdout + stderr }
}

/// A running `ctxedit` with stdout and stderr going to files (no pipe can fill up and block it).
final class CLIProcess {
    let process = Process()
    let outPath: String, errPath: String

    init(_ arguments: [String], in folder: String) throws {
        process.executableURL = URL(fileURLWithPath: try ctxeditBinary())
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: folder)
        var env = ProcessInfo.processInfo.environment
        env["XDG_CACHE_HOME"] = folder + "/.cache"   // never the user's inversion cache
        process.environment = env
        outPath = folder + "/.stdout-\(UUID().uuidString.prefix(6))"
        errPath = folder + "/.stderr-\(UUID().uuidString.prefix(6))"
        _ = FileManager.default.createFile(atPath: outPath, contents: nil)
        _ = FileManager.default.createFile(atPath: errPath, contents: nil)
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: outPath))
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: errPath))
        try process.run()
    }

    func wait() -> CLIResult {
        process.waitUntilExit()
        let out = (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? ""
        let err = (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? ""
        try? FileManager.default.removeItem(atPath: outPath)
        try? FileManager.default.removeItem(atPath: errPath)
        return CLIResult(status: process.terminationStatus, stdout: out, stderr: err)
    }
}

/// Runs `ctxedit ARGS` in `folder` and waits.
func ctxedit(_ arguments: [String], in folder: String) throws -> CLIResult {
    try CLIProcess(arguments, in: folder).wait()
}

/// The JSON objects of `--progress json` output.
func jsonLines(_ text: String) -> [[String: Any]] {
    text.split(separator: "\n").compactMap { line in
        (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any]
    }
}

import Foundation
import MediaIO
import Testing
import Training

/// `ctxedit tune` end to end through the built executable, on a 4-frame folder of PNGs and the tiny model: tune,
/// Ctrl-C and --resume, edit with --tuned, and refusals of bad input.
@Suite struct TuneCommandTests {
    /// A frame folder of the moving square (4 PNG frames, 16×16) with its caption sidecar.
    static func writeClip(in folder: String) throws -> String {
        let clip = folder + "/square"
        try FileManager.default.createDirectory(atPath: clip, withIntermediateDirectories: true)
        for (i, image) in movingSquareImages(frames: 4, size: 16).enumerated() {
            try ImageWriter.writePNG(image, to: clip + String(format: "/%05d.png", i))
        }
        try "a red square moving right\n".write(toFile: folder + "/square.txt", atomically: true, encoding: .utf8)
        return clip
    }

    @Test func tuneInterruptResumeAndEdit() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let clip = try Self.writeClip(in: folder)
        let common = ["--model", tinyModelPath, "--frames", "4", "--size", "16", "--no-checkpointing", "--lr", "1e-3"]

        // 1. A long run, stopped with SIGINT once it is training: exit 130 and a checkpoint.
        let run = try TuneProcess(["tune", clip] + common + ["--steps", "100000"], in: folder)
        let deadline = Date().addingTimeInterval(120)
        while !run.stderr.contains("step ") && Date() < deadline && run.process.isRunning { Thread.sleep(forTimeInterval: 0.1) }
        run.process.interrupt()
        let stopped = run.wait()
        #expect(stopped.status == 130, "\(stopped.stderr)")
        #expect(stopped.stderr.contains("--resume"), "\(stopped.stderr)")
        let checkpoint = folder + "/square.tuned/checkpoint"
        let state = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: checkpoint + "/state.json"))) as? [String: Any]
        let step = try #require((state?["state"] as? [String: Any])?["step"] as? Int)
        #expect(step >= 1)

        // 2. Resume to two more steps: the delta is written beside the clip, the checkpoint removed.
        let resumed = try TuneProcess(["tune", clip] + common + ["--steps", "\(step + 2)", "--resume"], in: folder).wait()
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(resumed.stderr.contains("resumed") && resumed.stderr.contains("step \(step + 2)/\(step + 2)"), "\(resumed.stderr)")
        #expect(resumed.stderr.contains("smoothed") && resumed.stderr.contains("s/step") && resumed.stderr.contains("ETA"))
        let files = try FileManager.default.contentsOfDirectory(atPath: folder + "/square.tuned").sorted()
        #expect(files == [String(format: "delta-%08d.safetensors", step + 2), "tuned.json"], "\(files)")

        // 3. Edit with the tuned model: the base model and the caption come from tuned.json.
        let edit = try TuneProcess([clip, "--prompt", "a blue square moving right", "--tuned", folder + "/square.tuned",
                                    "--steps", "2", "--frames", "4", "--size", "16", "--out", folder + "/edit.mp4", "--no-cache"],
                                   in: folder).wait()
        #expect(edit.status == 0, "\(edit.stderr)")
        #expect(edit.stderr.contains("a red square moving right"), "the tuned caption is the source caption: \(edit.stderr)")
        #expect(FileManager.default.fileExists(atPath: folder + "/edit.mp4"))

        // 4. A pipeline file with `tuned:` (and no model: the tuned folder's base model).
        try """
        version: 1
        tuned: square.tuned
        input: {clips: [{path: square, caption: "a red square moving right"}]}
        frames: {count: 4, size: 16}
        sampler: {steps: 2, cache: false}
        edits: ["a blue square moving right"]
        output: {folder: out, strip: false, gallery: false}
        """.write(toFile: folder + "/p.yaml", atomically: true, encoding: .utf8)
        let batch = try TuneProcess(["run", "p.yaml", "--progress", "plain"], in: folder).wait()
        #expect(batch.status == 0, "\(batch.stdout)\(batch.stderr)")
        #expect(FileManager.default.fileExists(atPath: folder + "/out/square/a-blue-square-moving-right.mp4"), "\(batch.stdout)")
    }

    @Test func refusesBadInput() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let clip = try Self.writeClip(in: folder)
        // Sizes are rounded to multiples of 8, which the tiny model always accepts (multiples of 4); an adapter
        // with 3×3 patches needs multiples of 6.
        let patch3 = try tinyModelCopy(in: folder)
        try FileManager.default.createDirectory(atPath: patch3 + "/adapter", withIntermediateDirectories: true)
        try #"{"patch_size": 3, "context_dim": 32}"#.write(toFile: patch3 + "/adapter/config.json", atomically: true, encoding: .utf8)
        let cases: [([String], String)] = [
            (["--prompt", " ", "--frames", "4", "--size", "16"], "caption is empty"),
            (["--frames", "1", "--size", "16"], "at least 2 frames"),
            (["--frames", "4", "--size", "16", "--model", patch3], "multiples of 6"),
        ]
        for (arguments, message) in cases {
            let result = try TuneProcess(["tune", clip, "--model", tinyModelPath, "--steps", "1"] + arguments, in: folder).wait()
            #expect(result.status != 0 && result.stderr.contains(message), "\(arguments): \(result.stderr)")
        }
        let notTuned = try TuneProcess([clip, "--prompt", "x", "--tuned", folder], in: folder).wait()
        #expect(notTuned.status != 0 && notTuned.stderr.contains("tuned.json"), "\(notTuned.stderr)")
    }
}

/// A running `ctxedit` with stdout and stderr going to files.
final class TuneProcess {
    let process = Process()
    let outPath: String, errPath: String

    init(_ arguments: [String], in folder: String) throws {
        process.executableURL = URL(fileURLWithPath: try Self.binary())
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: folder)
        var env = ProcessInfo.processInfo.environment
        env["XDG_CACHE_HOME"] = folder + "/.cache"
        process.environment = env
        outPath = folder + "/.stdout-\(UUID().uuidString.prefix(6))"
        errPath = folder + "/.stderr-\(UUID().uuidString.prefix(6))"
        _ = FileManager.default.createFile(atPath: outPath, contents: nil)
        _ = FileManager.default.createFile(atPath: errPath, contents: nil)
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: outPath))
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: errPath))
        try process.run()
    }

    var stderr: String { (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? "" }

    func wait() -> (status: Int32, stdout: String, stderr: String) {
        process.waitUntilExit()
        let out = (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? ""
        let err = stderr
        try? FileManager.default.removeItem(atPath: outPath)
        try? FileManager.default.removeItem(atPath: errPath)
        return (process.terminationStatus, out, err)
    }

    /// The built `ctxedit`: `$CTXEDIT_BIN`, or next to the test bundle (TrainingTests depends on `ctxedit`, so
    /// `swift test` builds it into the same folder), as Tests/BatchTests/TestSupport.swift finds it.
    static func binary() throws -> String {
        if let env = ProcessInfo.processInfo.environment["CTXEDIT_BIN"] { return env }
        var folders: [URL] = [Bundle.main.bundleURL, Bundle.main.bundleURL.deletingLastPathComponent()]
        if let exe = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
            folders.insert(URL(fileURLWithPath: exe).deletingLastPathComponent(), at: 0)
        }
        for folder in folders {
            let candidate = folder.appendingPathComponent("ctxedit").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        throw BinaryNotFound(description: "no built ctxedit next to the test bundle (looked in \(folders.map(\.path))); run `swift build` or set CTXEDIT_BIN")
    }

    struct BinaryNotFound: Error, CustomStringConvertible { let description: String }
}

import Foundation
import Testing
@testable import Batch
import MediaIO

/// `ctxedit run` through the built executable on the tiny fixture model (16×16 frames, 2 frames, a few steps).
@Suite(.serialized, .timeLimit(.minutes(5))) struct EndToEndTests {
    /// A pipeline over `clips/` in a fresh folder; the inversion cache lives in the folder too.
    func pipeline(_ dir: String, input: String = "{folder: clips}", edits: String, steps: Int = 2,
                  formats: String = "[mp4]") throws -> String {
        let path = dir + "/p.yaml"
        try write("""
        model: \(tinyModelPath)
        input: \(input)
        frames: {count: 2, size: 16}
        sampler: {steps: \(steps), cache: cache}
        edits: \(edits)
        output: {folder: out, formats: \(formats)}
        """, to: path)
        return path
    }

    func manifests(_ dir: String) -> [String: Manifest] {
        var found: [String: Manifest] = [:]
        for file in listFiles(dir + "/out") where file.hasSuffix(".manifest.json") {
            found[file] = Manifest.read(dir + "/out/" + file)
        }
        return found
    }

    @Test func singleEditWritesClipManifestStripAndGallery() throws {
        let dir = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try copySamples(["red-circle"], to: dir + "/clips")
        _ = try pipeline(dir, input: "{clips: [clips/red-circle.mp4]}", edits: "[{prompt: a blue square, seed: 42}]", formats: "[mp4, gif]")
        let run = try ctxedit(["run", "p.yaml", "--progress", "bar"], in: dir)
        #expect(run.status == 0, "\(run.all)")
        let files = listFiles(dir + "/out")
        for expected in ["index.html", "ctxedit-run.json", "red-circle/source.mp4", "red-circle/a-blue-square.mp4",
                         "red-circle/a-blue-square.gif", "red-circle/a-blue-square.manifest.json", "red-circle/strip.png"] {
            #expect(files.contains(expected), "\(expected) not in \(files)")
        }
        #expect(!files.contains { $0.contains(".partial-") || $0.contains(".failed.json") })
        let manifest = try #require(Manifest.read(dir + "/out/red-circle/a-blue-square.manifest.json"))
        #expect(manifest.edit.prompt == "a blue square" && manifest.edit.seed == 42 && manifest.edit.guidance == 7.5)
        #expect(manifest.clip.caption == "a red circle moving right on a gray background")
        #expect(manifest.clip.width == 16 && manifest.clip.sourceFrames == [0, 1])
        #expect(manifest.model == URL(fileURLWithPath: tinyModelPath).standardizedFileURL.path)
        #expect(manifest.outputs == ["a-blue-square.mp4", "a-blue-square.gif"] && manifest.inversion == "computed")
        #expect(manifest.ctxedit == ctxeditVersion && manifest.timings.total > 0 && manifest.sampler.steps == 2)
        #expect(manifest.sampler.region == "auto" && manifest.sampler.strength == 1)
        // A bar per stage with step counts, seconds per step and an ETA; then the summary table.
        #expect(run.stderr.contains("\r") && run.stderr.contains("[####") && run.stderr.contains("s/step") && run.stderr.contains("ETA"))
        #expect(run.stdout.contains("red-circle/a-blue-square") && run.stdout.contains("done"))
        #expect(try GalleryLinks.problems(page: dir + "/out/index.html") == [])

        // The same command again skips the job; `ctxedit strip OUT` rebuilds the strips.
        let again = try ctxedit(["run", "p.yaml", "--quiet"], in: dir)
        #expect(again.status == 0 && again.stdout.contains("skipped"), "\(again.all)")
        #expect(Manifest.read(dir + "/out/red-circle/a-blue-square.manifest.json") == manifest)
        let strips = try ctxedit(["strip", "out", "-o", "strips"], in: dir)
        #expect(strips.status == 0, "\(strips.all)")
        #expect(FileManager.default.fileExists(atPath: dir + "/strips/red-circle.png"))
    }

    /// The edit command: `--show-region` adds a row per edit to the strip (3 rows of 16-pixel frames instead of 2),
    /// the edit reports its region, `--region whole` reports none, and a bad `--region` is refused by name.
    @Test func directEditShowsItsRegionAndRefusesABadOne() throws {
        let dir = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try copySamples(["red-circle"], to: dir + "/clips")
        let common = ["clips/red-circle.mp4", "--prompt", "a blue square", "--model", tinyModelPath, "--frames", "2",
                      "--size", "16", "--steps", "2", "--no-cache"]
        func pngHeight(_ path: String) throws -> Int {
            let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
            return bytes[20..<24].reduce(0) { $0 << 8 | Int($1) }
        }
        let shown = try ctxedit(common + ["--out", "a.mp4", "--strip", "a.png", "--show-region"], in: dir)
        #expect(shown.status == 0, "\(shown.all)")
        #expect(shown.stdout.contains("each with its edit region below") && shown.stderr.contains("the captions differ on"))
        let plain = try ctxedit(common + ["--out", "b.mp4", "--strip", "b.png", "--region", "whole"], in: dir)
        #expect(plain.status == 0, "\(plain.all)")
        #expect(!plain.stderr.contains("the captions differ on"))
        let (three, two) = (try pngHeight(dir + "/a.png"), try pngHeight(dir + "/b.png"))
        #expect(three > two, "strip heights \(three) and \(two)")
        let bad = try ctxedit(common + ["--out", "c.mp4", "--region", "half"], in: dir)
        #expect(bad.status != 0 && bad.stderr.contains("--region half") && bad.stderr.contains("whole"), "\(bad.all)")
        #expect(!FileManager.default.fileExists(atPath: dir + "/c.mp4"))
    }

    /// Text to image writes a PNG of the asked size, the same for the same seed; flags of video edits are refused.
    @Test func generateWritesAPictureAndTakesNoVideoFlags() throws {
        let dir = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let common = ["generate", "--prompt", "a red circle", "--model", tinyModelPath, "--size", "24x16", "--steps", "2"]
        let first = try ctxedit(common + ["--out", "a.png", "--seed", "3"], in: dir)
        let again = try ctxedit(common + ["--out", "b.png", "--seed", "3"], in: dir)
        #expect(first.status == 0 && again.status == 0, "\(first.all)\n\(again.all)")
        let other = try ctxedit(common + ["--out", "d.png", "--seed", "4"], in: dir)
        #expect(other.status == 0, "\(other.all)")
        let a = try ImageWriter.read(dir + "/a.png"), b = try ImageWriter.read(dir + "/b.png")
        #expect(a.width == 24 && a.height == 16 && a.pixels == b.pixels)
        #expect(try ImageWriter.read(dir + "/d.png").pixels != a.pixels)
        let video = try ctxedit(common + ["--out", "c.png", "--region", "whole"], in: dir)
        #expect(video.status != 0 && video.stderr.contains("--region"), "\(video.all)")
        #expect(!FileManager.default.fileExists(atPath: dir + "/c.png"))
    }

    @Test func severalPromptsShareOneInversion() throws {
        let dir = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try copySamples(["yellow-star"], to: dir + "/clips")
        _ = try pipeline(dir, edits: "[a blue square, a green circle, {prompt: a red star, guidance: 3}]", steps: 3)
        let run = try ctxedit(["run", "p.yaml", "--progress", "json"], in: dir)
        #expect(run.status == 0, "\(run.all)")
        let events = jsonLines(run.stdout)
        let inversionSteps = events.filter { $0["event"] as? String == "progress" && $0["stage"] as? String == "invert" }
        #expect(inversionSteps.count == 3, "the inversion ran \(inversionSteps.count / 3) times")
        // Per edit: one UNet pass for the edit region (3 steps: the 10% and 20% levels are both step 1), 3 denoising steps.
        #expect(events.filter { $0["event"] as? String == "progress" && $0["stage"] as? String == "edit" }.count == 3 * (1 + 3))
        let found = manifests(dir)
        #expect(found.count == 3)
        #expect(found.values.map(\.inversion).sorted() == ["computed", "reused", "reused"])
        #expect(found.values.first { $0.edit.name == "a-red-star" }?.edit.guidance == 3)
        let summary = try #require(events.last)
        #expect(summary["event"] as? String == "summary" && summary["done"] as? Int == 3 && summary["exitCode"] as? Int == 0)
    }

    @Test func aCorruptClipFailsAloneAndTheRunExitsNonZero() throws {
        let dir = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try copySamples(["red-circle", "green-triangle"], to: dir + "/clips")
        try write("this is not a video", to: dir + "/clips/broken.mp4")
        _ = try pipeline(dir, edits: "[a blue square, a purple star]")
        let run = try ctxedit(["run", "p.yaml"], in: dir)
        #expect(run.status == 1, "\(run.all)")
        let rows = run.stdout.split(separator: "\n").map(String.init)
        #expect(rows.filter { $0.hasPrefix("broken/") }.allSatisfy { $0.contains("FAILED") && $0.contains("broken.mp4") })
        #expect(rows.filter { $0.hasPrefix("broken/") }.count == 2)
        #expect(rows.filter { $0.hasPrefix("red-circle/") || $0.hasPrefix("green-triangle/") }.allSatisfy { $0.contains(" done ") })
        #expect(manifests(dir).count == 4)
        #expect(run.stdout.contains("4 done, 2 failed"))
        let html = try String(contentsOfFile: dir + "/out/index.html", encoding: .utf8)
        #expect(html.contains("Failed jobs") && html.contains("broken/a-blue-square"))
        #expect(try GalleryLinks.problems(page: dir + "/out/index.html") == [])
        try checkInBrowser(dir + "/out")
    }

    /// scripts/check-gallery.sh: the page renders in headless Chromium and every video and image loads.
    func checkInBrowser(_ out: String) throws {
        let browsers = ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"]
        guard browsers.contains(where: FileManager.default.isExecutableFile(atPath:)) else {
            print("no Chromium on this machine: skipping the browser check of \(out) (apt-get install chromium)")
            return
        }
        let script = Process()
        script.executableURL = URL(fileURLWithPath: "/bin/bash")
        script.arguments = [packageRoot + "/scripts/check-gallery.sh", out]
        let log = out + "/../check-gallery.log"
        #expect(FileManager.default.createFile(atPath: log, contents: nil), "could not create \(log)")
        script.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        script.standardError = script.standardOutput
        try script.run()
        script.waitUntilExit()
        let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        #expect(script.terminationStatus == 0 && text.contains("gallery check: ok"), "\(text)")
        #expect(text.contains("OK red-circle/source.mp4 16x16"), "\(text)")
    }

    @Test func anInterruptedRunLeavesNoPartialFileAndResumes() throws {
        let dir = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try copySamples(["red-circle", "green-triangle", "yellow-star"], to: dir + "/clips")
        _ = try pipeline(dir, edits: "[a blue square, a purple star]", steps: 12, formats: "[mp4, gif]")
        let first = try CLIProcess(["run", "p.yaml", "--progress", "json"], in: dir)
        let deadline = Date().addingTimeInterval(120)
        while manifests(dir).isEmpty && first.process.isRunning && Date() < deadline { usleep(10_000) }
        first.process.interrupt()   // SIGINT, as Ctrl-C
        let stopped = first.wait()
        #expect(stopped.status == 130, "\(stopped.all)")
        let finished = manifests(dir)
        #expect(!finished.isEmpty && finished.count < 6, "\(finished.keys.sorted())")
        #expect(!listFiles(dir + "/out").contains { $0.contains(".partial-") }, "\(listFiles(dir + "/out"))")
        #expect(!listFiles(dir + "/out").contains { $0.contains(".inversions-") })
        let summary = jsonLines(stopped.stdout).last
        #expect(summary?["interrupted"] as? Int ?? 0 > 0)

        let resumed = try ctxedit(["run", "p.yaml", "--progress", "json"], in: dir)
        #expect(resumed.status == 0, "\(resumed.all)")
        let skipped = jsonLines(resumed.stdout).filter { $0["event"] as? String == "job_skipped" }.compactMap { $0["job"] as? String }
        #expect(Set(skipped.map { $0 + ".manifest.json" }) == Set(finished.keys))
        let all = manifests(dir)
        #expect(all.count == 6)
        for (file, manifest) in finished { #expect(all[file] == manifest, "\(file) was redone") }
        #expect(!listFiles(dir + "/out").contains { $0.contains(".partial-") })
    }

    @Test func aContextDiffConfigRunsWithNotesForUnusedKeys() throws {
        let dir = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try copySamples(["orange-square"], to: dir + "/data")
        try write("""
        pretrained_model_path: "\(tinyModelPath)"
        dataset_config:
            path: "data/orange-square.mp4"
            prompt: "an orange square"
            n_sample_frame: 2
            sampling_rate: 2
            stride: 80
            width: 16
            height: 16
            offset: {left: 0, right: 0, top: 0, bottom: 0}
        editing_config:
            use_invertion_latents: True
            guidance_scale: 7.5
            editing_prompts: [
                an orange square,
                a blue circle,
            ]
            clip_length: "${..dataset_config.n_sample_frame}"
            sample_seeds: [12734]
            num_inference_steps: 2
        train_steps: 200
        learning_rate: 1e-5
        """, to: dir + "/config/square.yaml")
        let run = try ctxedit(["run", "config/square.yaml", "--out", "out", "--progress", "plain"], in: dir)
        #expect(run.status == 0, "\(run.all)")
        #expect(run.stderr.components(separatedBy: "not used by ctxedit run").count == 2, "\(run.stderr)")
        #expect(run.stderr.contains("train_steps") && run.stderr.contains("editing_config.clip_length"))
        let found = manifests(dir)
        #expect(found.count == 2 && found.values.allSatisfy { $0.edit.seed == 12734 && $0.clip.sourceFrames == [0, 2] })
        #expect(found.values.allSatisfy { $0.clip.caption == "an orange square" })
    }

    @Test func schemaErrorsAndShardsThroughTheCommandLine() throws {
        let dir = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try write("input: {folder: clips}\nedits: [a]\nframes:\n  cout: 4\n", to: dir + "/bad.yaml")
        let bad = try ctxedit(["run", "bad.yaml"], in: dir)
        #expect(bad.status == 2 && bad.stderr.contains("bad.yaml:4: frames.cout: unknown key"), "\(bad.all)")

        for name in ["a", "b", "c", "d", "e"] { try write("x", to: "\(dir)/clips/\(name).mp4") }
        _ = try pipeline(dir, edits: "[one, two, three]")
        func ids(_ extra: [String]) throws -> [String] {
            let r = try ctxedit(["run", "p.yaml", "--dry-run", "--progress", "json"] + extra, in: dir)
            #expect(r.status == 0, "\(r.all)")
            return jsonLines(r.stdout).filter { $0["event"] as? String == "job" }.compactMap { $0["job"] as? String }
        }
        let all = try ids([])
        #expect(all.count == 15)
        let shards = try (0..<3).map { try ids(["--shard", "\($0)/3"]) }
        #expect(shards.flatMap { $0 }.sorted() == all.sorted())
        #expect(shards.map(\.count) == [6, 6, 3])
        #expect(try ctxedit(["run", "p.yaml", "--shard", "3/3"], in: dir).status == 64)
    }
}

import Foundation
import Testing
@testable import Batch

/// The gallery page from results on disk, and the link checker.
@Suite struct GalleryTests {
    @Test func showsDoneFailedAndPendingJobsWithWorkingLinks() throws {
        let dir = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let p = try Pipeline.parse("""
        input: {clips: [a.mp4, b.mp4]}
        edits: [a <b>lue & "square", {prompt: a star, name: star}]
        output: {folder: out, formats: [mp4, gif]}
        """, file: "\(dir)/p.yaml")
        let jobs = try p.jobs()
        let layout = OutputLayout(folder: p.output.folder)
        // a/<first>: done with mp4 + gif; a/star: failed; b/*: not run.
        let done = jobs[0]
        for path in [layout.output(done, .mp4), layout.output(done, .gif), layout.source("a", .mp4), layout.strip("a")] {
            try write("x", to: path)
        }
        var manifest = Manifest(
            ctxedit: ctxeditVersion, job: done.id, pipeline: p.file, model: "/m",
            clip: .init(id: "a", path: "a.mp4", caption: "a red circle", sourceFrames: [0, 1], width: 16, height: 16, frameRate: 8),
            edit: .init(name: done.edit.name, index: 0, prompt: done.edit.prompt, seed: 0, guidance: 7.5, negativePrompt: ""),
            sampler: .init(steps: 2, adapter: true, frameAttention: "sparse-causal", selection: "count 2"),
            outputs: ["\(done.edit.name).mp4", "\(done.edit.name).gif"], inversion: "computed", timings: .init(),
            fingerprint: "0", finished: "now", notes: [])
        manifest.timings.total = 1.25
        try write(String(decoding: try manifest.encoded(), as: UTF8.self), to: layout.manifest(done))
        let failure = FailureRecord(ctxedit: ctxeditVersion, job: jobs[1].id, clip: "a.mp4", prompt: "a star",
                                    error: "it broke <badly>", finished: "now")
        try write(String(decoding: try JSONEncoder().encode(failure), as: UTF8.self), to: layout.failure(jobs[1]))

        let page = try Gallery.write(pipeline: p, jobs: jobs, modelPath: "/m")
        let html = try String(contentsOfFile: page, encoding: .utf8)
        #expect(try GalleryLinks.problems(page: page) == [])
        let refs = GalleryLinks.references(in: html)
        #expect(refs.contains("a/source.mp4") && refs.contains("a/strip.png") && refs.contains("#clip-a"))
        #expect(refs.contains("a/\(done.edit.name).mp4") && refs.contains("a/\(done.edit.name).gif"))
        #expect(html.contains("<video src=\"a/\(done.edit.name).mp4\""))
        #expect(html.contains("a &lt;b&gt;lue &amp; &quot;square&quot;") && !html.contains("<b>lue"))
        #expect(html.contains("it broke &lt;badly&gt;"))
        #expect(html.contains("1 done") && html.contains("1 failed") && html.contains("2 not run yet"))
        #expect(!html.contains("http://") && !html.contains("https://"))
    }

    @Test func linkCheckerFindsMissingFilesAndNetworkReferences() throws {
        let dir = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try write("x", to: "\(dir)/a b/c.mp4")
        try write("""
        <a href="#top" id="top">x</a><video src="a%20b/c.mp4"></video><img src="gone.png">
        <script src="https://cdn.example.com/x.js"></script><a href="#nowhere">y</a>
        """, to: "\(dir)/index.html")
        let problems = try GalleryLinks.problems(page: "\(dir)/index.html")
        #expect(problems.count == 3, "\(problems)")
        #expect(problems.contains { $0.hasPrefix("gone.png") })
        #expect(problems.contains { $0.hasPrefix("https://cdn.example.com") })
        #expect(problems.contains { $0.hasPrefix("#nowhere") })
    }
}

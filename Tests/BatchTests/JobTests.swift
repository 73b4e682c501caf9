import Foundation
import Testing
@testable import Batch

/// Clip listing, captions, job expansion and sharding.
@Suite struct JobTests {
    /// A folder with two clips (one with a sidecar), a frame folder, a caption-only file and an unrelated folder.
    func clipFolder() throws -> String {
        let dir = try temporaryFolder()
        for name in ["b.mp4", "a.gif", "notes.md", ".hidden.mp4", "frames/0001.png", "frames/0002.png", "out/strip.png", "out/x.mp4"] {
            try write("x", to: "\(dir)/clips/\(name)")
        }
        try write("a red circle\n", to: "\(dir)/clips/b.txt")
        return dir
    }

    @Test func foldersListClipsAndFrameFoldersWithSidecarCaptions() throws {
        let dir = try clipFolder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try write("input: {folder: clips}\nedits: [one, two]\n", to: "\(dir)/p.yaml")
        let jobs = try Pipeline.load("\(dir)/p.yaml").jobs()
        #expect(jobs.map(\.id) == ["a/one", "a/two", "b/one", "b/two", "frames/one", "frames/two"])
        #expect(jobs.first { $0.clip.id == "b" }?.clip.caption == "a red circle")
        #expect(jobs.first { $0.clip.id == "a" }?.clip.caption == "")
        #expect(jobs.map(\.editIndex) == [0, 1, 0, 1, 0, 1])
    }

    @Test func globsListsAndCaptions() throws {
        let dir = try clipFolder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try write("input: {glob: 'clips/*.mp4', caption: a shape}\nedits: [x]\n", to: "\(dir)/g.yaml")
        #expect(try Pipeline.load("\(dir)/g.yaml").jobs().map { "\($0.id) \($0.clip.caption)" } == ["b/x a shape"])
        try write("""
        input:
          clips: [clips/b.mp4, {path: other/b.mp4, caption: second b}]
        edits: [x]
        """, to: "\(dir)/l.yaml")
        let jobs = try Pipeline.load("\(dir)/l.yaml").jobs()
        #expect(jobs.map(\.id) == ["b/x", "b-2/x"])
        #expect(jobs.map(\.clip.caption) == ["a red circle", "second b"])
        try write("input: {glob: 'clips/*.webm'}\nedits: [x]\n", to: "\(dir)/none.yaml")
        let error = #expect(throws: PipelineError.self) { try Pipeline.load("\(dir)/none.yaml").jobs() }
        #expect(error?.kind == .badInput && error?.line == 1 && error?.key == "input.glob")
    }

    @Test func jobIDsAreStableAcrossListingOrder() throws {
        let clips = ["z.mp4", "m.mp4", "a.mp4"]
        let p = try Pipeline.parse("input: {clips: [\(clips.joined(separator: ", "))]}\nedits: [p, q]\n", file: "/x/p.yaml")
        let q = try Pipeline.parse("input: {clips: [\(clips.reversed().joined(separator: ", "))]}\nedits: [p, q]\n", file: "/x/p.yaml")
        #expect(try p.jobs().map(\.id) == q.jobs().map(\.id))
        #expect(try p.jobs().map(\.id) == ["a/p", "a/q", "m/p", "m/q", "z/p", "z/q"])
    }

    func jobs(clips: Int, edits: Int) throws -> [Job] {
        let list = (0..<clips).map { "c\($0).mp4" }.joined(separator: ", ")
        let prompts = (0..<edits).map { "edit \($0)" }.joined(separator: ", ")
        return try Pipeline.parse("input: {clips: [\(list)]}\nedits: [\(prompts)]\n", file: "/x/p.yaml").jobs()
    }

    @Test(arguments: [(7, 3, 1), (7, 3, 3), (5, 2, 4), (2, 5, 4), (1, 6, 6), (3, 1, 8), (4, 4, 1)])
    func shardsCoverEveryJobOnce(clips: Int, edits: Int, n: Int) throws {
        let all = try jobs(clips: clips, edits: edits)
        let shards = (0..<n).map { Shard(index: $0, count: n).select(all) }
        let union = shards.flatMap { $0.map(\.id) }
        #expect(union.count == all.count, "overlap or gap: \(shards.map { $0.map(\.id) })")
        #expect(Set(union) == Set(all.map(\.id)))
        if clips >= n {
            // Split by clip: each clip's edits stay together (one inversion per clip).
            for shard in shards { for job in shard { #expect(shard.filter { $0.clip.id == job.clip.id }.count == edits) } }
        }
        // Deterministic: the same selection from a fresh expansion.
        #expect(try Shard(index: n - 1, count: n).select(jobs(clips: clips, edits: edits)).map(\.id) == shards[n - 1].map(\.id))
    }

    @Test func shardParsing() {
        #expect(Shard(parsing: "0/4") == Shard(index: 0, count: 4))
        #expect(Shard(parsing: "3/4") == Shard(index: 3, count: 4))
        for bad in ["4/4", "-1/4", "1/0", "1", "a/b", "1/2/3", ""] { #expect(Shard(parsing: bad) == nil, "\(bad)") }
    }

    @Test func fingerprintsChangeWithEverySettingThatMattersOnly() throws {
        let base = try Pipeline.parse("input: {clips: [a.mp4]}\nedits: [x]\n", file: "/x/p.yaml")
        let job = try base.jobs()[0]
        let reference = job.fingerprint(pipeline: base, model: "/m")
        #expect(job.fingerprint(pipeline: base, model: "/m") == reference)
        #expect(job.fingerprint(pipeline: base, model: "/other") != reference)
        var p = base
        p.sampler.steps = 10
        #expect(job.fingerprint(pipeline: p, model: "/m") != reference)
        p = base
        p.selection.count = 4
        #expect(job.fingerprint(pipeline: p, model: "/m") != reference)
        p = base
        p.sampler.strength = 0.6
        #expect(job.fingerprint(pipeline: p, model: "/m") != reference)
        p.sampler.strength = 1   // the default is left out, so runs from before `strength` existed still resume
        #expect(job.fingerprint(pipeline: p, model: "/m") == reference)
        p.sampler.regionNoise = 0.5
        #expect(job.fingerprint(pipeline: p, model: "/m") != reference)
        p.sampler.regionNoise = 0   // likewise left out at its default
        #expect(job.fingerprint(pipeline: p, model: "/m") == reference)
        p = base
        p.output.strip = false   // does not change the edited clip
        #expect(job.fingerprint(pipeline: p, model: "/m") == reference)
        #expect(job.fingerprint(pipeline: base, model: "/x/../m") == reference)
    }

    @Test func theSameClipThroughAnotherPathKeepsItsFingerprint() throws {
        let dir = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try write("1234", to: "\(dir)/clips/a.mp4")
        let direct = try Pipeline.parse("input: {clips: [clips/a.mp4]}\nedits: [x]\n", file: "\(dir)/p.yaml")
        let roundabout = try Pipeline.parse("input: {clips: [../clips/a.mp4]}\nedits: [x]\n", file: "\(dir)/sub/p.yaml")
        let print = try direct.jobs()[0].fingerprint(pipeline: direct, model: "/m")
        #expect(try roundabout.jobs()[0].fingerprint(pipeline: roundabout, model: "/m") == print)
        try write("a longer, different clip", to: "\(dir)/clips/a.mp4")
        #expect(try direct.jobs()[0].fingerprint(pipeline: direct, model: "/m") != print)
    }
}

import Foundation

/// One clip × one edit: the unit that succeeds or fails, is skipped on resume, and is spread over shards.
public struct Job: Sendable, Equatable, Identifiable {
    public var clip: ClipEntry
    public var edit: EditSpec
    /// Position of the edit in the pipeline's list (strip rows follow it).
    public var editIndex: Int

    /// `CLIP/EDIT`: stable across runs and machines (it names the output files).
    public var id: String { "\(clip.id)/\(edit.name)" }
}

extension Pipeline {
    /// Every clip × edit, sorted by clip id, then in the order the edits are listed.
    public func jobs() throws -> [Job] {
        let clips = try ClipList.expand(input).sorted { $0.id < $1.id }
        return clips.flatMap { clip in edits.enumerated().map { Job(clip: clip, edit: $1, editIndex: $0) } }
    }
}

/// `--shard I/N`: a deterministic share of the jobs, so N machines (a Slurm array, a Kubernetes indexed Job)
/// split one pipeline. Shards split by clip (clip k of the sorted list goes to shard k mod N), so each clip is
/// inverted once; with fewer clips than shards they split by job instead. Every shard computes the same full
/// list, so the N shares are disjoint and together cover every job.
public struct Shard: Sendable, Equatable, CustomStringConvertible {
    /// 0-based: 0 ..< count.
    public var index: Int
    public var count: Int

    public init(index: Int, count: Int) {
        self.index = index
        self.count = count
    }

    /// `I/N` with 0 ≤ I < N.
    public init?(parsing text: String) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let i = Int(parts[0].trimmingCharacters(in: .whitespaces)),
              let n = Int(parts[1].trimmingCharacters(in: .whitespaces)), n >= 1, i >= 0, i < n else { return nil }
        self.init(index: i, count: n)
    }

    public var description: String { "\(index)/\(count)" }

    public func select(_ jobs: [Job]) -> [Job] {
        var clipOrder: [String: Int] = [:]
        for job in jobs where clipOrder[job.clip.id] == nil { clipOrder[job.clip.id] = clipOrder.count }
        if clipOrder.count >= count {
            return jobs.filter { clipOrder[$0.clip.id, default: 0] % count == index }
        }
        return jobs.enumerated().filter { $0.offset % count == index }.map(\.element)
    }
}

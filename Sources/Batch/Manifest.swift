import Foundation
import MediaIO

/// Everything needed to reproduce one job's result, written as `CLIP/EDIT.manifest.json` after its outputs.
/// Its presence (with the same fingerprint and every listed output on disk) is what makes a re-run skip the job.
public struct Manifest: Codable, Sendable, Equatable {
    public struct Clip: Codable, Sendable, Equatable {
        public var id: String
        public var path: String
        public var caption: String
        /// Source frame indices that were edited.
        public var sourceFrames: [Int]
        public var width: Int
        public var height: Int
        public var frameRate: Double
    }

    public struct Edit: Codable, Sendable, Equatable {
        public var name: String
        /// Position in the pipeline's list of edits (strip and gallery order).
        public var index: Int
        public var prompt: String
        public var seed: UInt64
        public var guidance: Double
        public var negativePrompt: String
    }

    public struct Sampler: Codable, Sendable, Equatable {
        public var steps: Int
        public var adapter: Bool
        public var frameAttention: String
        /// `auto`, `auto:T` or `whole` (absent in manifests written before regions existed).
        public var region: String?
        /// `EditSettings.strength` (absent in manifests written before it existed: 1).
        public var strength: Double?
        /// `EditSettings.regionNoise` (absent in manifests written before it existed: 0).
        public var regionNoise: Double?
        /// The frame selection as written on the command line (`count`, `stride`, `start`, `crop`, `size`).
        public var selection: String
    }

    /// Seconds per stage. `read` and `invert` are shared by the edits of a clip: the job that paid for them has
    /// them; the others record the cached inversion's load inside `invert` (usually ~0).
    public struct Timings: Codable, Sendable, Equatable {
        public var read = 0.0, encode = 0.0, invert = 0.0, edit = 0.0, decode = 0.0, write = 0.0, total = 0.0
        public init() {}
    }

    public var ctxedit: String
    public var job: String
    public var pipeline: String
    public var model: String
    public var clip: Clip
    public var edit: Edit
    public var sampler: Sampler
    /// Output files, relative to the clip folder.
    public var outputs: [String]
    /// `computed` (this job ran the DDIM inversion) or `reused` (the clip's shared inversion, from the cache).
    public var inversion: String
    public var timings: Timings
    /// Hash of every input that determines the result; a re-run with other settings does not skip the job.
    public var fingerprint: String
    /// ISO 8601, UTC.
    public var finished: String
    public var notes: [String]

    public func encoded() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(self) + Data("\n".utf8)
    }

    public static func read(_ path: String) -> Manifest? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        return try? JSONDecoder().decode(Manifest.self, from: data)
    }
}

/// UTC time as ISO 8601 (`2025-01-31T12:00:00Z`).
func timestamp(_ date: Date = Date()) -> String {
    ISO8601DateFormatter().string(from: date)
}

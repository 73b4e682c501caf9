import Foundation

/// Why a job failed, written as `CLIP/EDIT.failed.json` so galleries built by later runs or other shards show it.
public struct FailureRecord: Codable, Sendable, Equatable {
    public var ctxedit: String
    public var job: String
    public var clip: String
    public var prompt: String
    public var error: String
    public var finished: String

    public func encoded() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(self) + Data("\n".utf8)
    }

    public static func read(_ path: String) -> FailureRecord? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        return try? JSONDecoder().decode(FailureRecord.self, from: data)
    }
}

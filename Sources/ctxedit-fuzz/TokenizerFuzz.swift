import Foundation
import Models

/// A prompt as typed, pasted or read from a pipeline file: any bytes, decoded as UTF-8 with replacement (as
/// `String(decoding:as:)` and the command line do), through `CLIPTokenizer.encode` with the full CLIP vocabulary
/// fixture (`Tests/Fixtures/clip_vocab`).
enum TokenizerFuzz {
    nonisolated(unsafe) static var cached: (tokenizer: CLIPTokenizer, ids: Set<Int>)?

    /// The tokenizer and the set of its ids, loaded once.
    static func tokenizer(_ context: FuzzContext) throws -> (tokenizer: CLIPTokenizer, ids: Set<Int>) {
        if let cached { return cached }
        let t = try CLIPTokenizer(folder: context.fixture("clip_vocab"))
        cached = (t, Set(t.vocabulary.values))
        return cached!
    }

    /// Longer prompts are cut here: BPE on one long word is quadratic, and the tool's prompts are short.
    static let maxBytes = 2048

    static func run(_ data: Data, _ context: FuzzContext) throws -> String {
        let (tokenizer, known) = try tokenizer(context)
        let text = String(decoding: data.prefix(maxBytes), as: UTF8.self)
        let (ids, mask) = tokenizer.encode(text)
        let n = tokenizer.maxLength
        try require(ids.count == n && mask.count == n, "\(ids.count) ids and \(mask.count) mask entries for length \(n)")
        try require(ids.first == tokenizer.bosID, "first id \(ids.first ?? -1) is not BOS")
        let real = mask.prefix { $0 == 1 }.count
        try require(real >= 2 && mask.dropFirst(real).allSatisfy { $0 == 0 }, "mask \(mask) is not ones then zeros")
        try require(ids[real - 1] == tokenizer.eosID, "the last real id is not EOS")
        for id in ids { try require(known.contains(id), "id \(id) is not in the vocabulary") }
        try require(ids[real...].allSatisfy { $0 == tokenizer.padID }, "padding is not the pad id")
        // The pieces are vocabulary strings or fall back to EOS, never empty.
        let pieces = tokenizer.tokenize(text)
        try require(pieces.allSatisfy { !$0.isEmpty }, "an empty BPE piece")
        return "\(real - 2) token(s)"
    }
}

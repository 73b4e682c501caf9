import Foundation

/// Builds a small CLIP-format BPE vocabulary (`vocab.json` + `merges.txt`) in which every given word is a single
/// token, for models trained from scratch on a closed caption vocabulary (the embedded default model).
///
/// Layout, as CLIP's: the 256 byte characters, the same with `</w>`, then one entry per merge result, then
/// `<|startoftext|>` and `<|endoftext|>`. Merges are added word by word: the word is tokenized with the merges so
/// far and its remaining pieces are joined left to right by new merges. New merges rank after all earlier ones, so
/// they never change how an earlier word splits (BPE always applies the lowest-ranked pair present). Any other text
/// still tokenizes, byte by byte.
public struct BPEVocabularyBuilder {
    public private(set) var merges: [(String, String)] = []

    public init(words: [String]) throws {
        for word in words {
            let lower = word.lowercased()
            guard !lower.isEmpty else { continue }
            let tokenizer = try makeTokenizer()
            var pieces = tokenizer.tokenize(lower)
            while pieces.count > 1 {
                merges.append((pieces[0], pieces[1]))
                pieces = [pieces[0] + pieces[1]] + pieces.dropFirst(2)
            }
        }
    }

    /// Token → id, in CLIP's order.
    public var vocabulary: [String: Int] {
        var tokens = CLIPTokenizer.bytesToUnicode().map { String($0) }
        tokens += tokens.map { $0 + "</w>" }
        var seen = Set(tokens)
        for (a, b) in merges where !seen.contains(a + b) {
            tokens.append(a + b)
            seen.insert(a + b)
        }
        tokens += [CLIPTokenizer.startToken, CLIPTokenizer.endToken]
        return Dictionary(uniqueKeysWithValues: tokens.enumerated().map { ($1, $0) })
    }

    public func makeTokenizer(maxLength: Int = 77) throws -> CLIPTokenizer {
        try CLIPTokenizer(vocabulary: vocabulary, merges: merges, maxLength: maxLength)
    }

    /// Writes `vocab.json`, `merges.txt`, `tokenizer_config.json` and `special_tokens_map.json` into `folder`.
    public func write(to folder: String, maxLength: Int = 77) throws {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let vocab = try JSONSerialization.data(withJSONObject: vocabulary, options: [.sortedKeys])
        try vocab.write(to: URL(fileURLWithPath: folder + "/vocab.json"), options: .atomic)
        let mergeText = "#version: 0.2\n" + merges.map { "\($0.0) \($0.1)" }.joined(separator: "\n") + "\n"
        try mergeText.write(toFile: folder + "/merges.txt", atomically: true, encoding: .utf8)
        let config: [String: Any] = ["model_max_length": maxLength, "pad_token": CLIPTokenizer.endToken,
                                     "bos_token": CLIPTokenizer.startToken, "eos_token": CLIPTokenizer.endToken,
                                     "unk_token": CLIPTokenizer.endToken, "tokenizer_class": "CLIPTokenizer"]
        try JSONSerialization.data(withJSONObject: config, options: [.sortedKeys, .prettyPrinted])
            .write(to: URL(fileURLWithPath: folder + "/tokenizer_config.json"), options: .atomic)
        let special: [String: Any] = ["bos_token": CLIPTokenizer.startToken, "eos_token": CLIPTokenizer.endToken,
                                      "pad_token": CLIPTokenizer.endToken, "unk_token": CLIPTokenizer.endToken]
        try JSONSerialization.data(withJSONObject: special, options: [.sortedKeys, .prettyPrinted])
            .write(to: URL(fileURLWithPath: folder + "/special_tokens_map.json"), options: .atomic)
    }
}

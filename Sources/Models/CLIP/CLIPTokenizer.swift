import Foundation

/// CLIP's byte-level BPE tokenizer, matching transformers' `CLIPTokenizer` (the Python one, without ftfy):
///
/// 1. Clean-up as its `BasicTokenizer(strip_accents=False, do_split_on_punc=False)`: drop NUL, U+FFFD and control
///    characters, whitespace → space, spaces around CJK ideographs, NFC, split on whitespace, lower-case; re-join
///    with single spaces and lower-case again.
/// 2. Split with CLIP's pattern `<|startoftext|>|<|endoftext|>|'s|'t|'re|'ve|'m|'ll|'d|\p{L}+|\p{N}|[^\s\p{L}\p{N}]+`.
/// 3. Each piece's UTF-8 bytes map to printable characters (GPT-2's `bytes_to_unicode`), the last character gets
///    `</w>`, and merges apply by rank until none applies.
/// 4. Ids: `<|startoftext|>` + tokens (truncated to `maxLength − 2`) + `<|endoftext|>`, padded to `maxLength`
///    with the pad token.
public final class CLIPTokenizer {
    public let vocabulary: [String: Int]
    let mergeRanks: [String: Int]
    public let maxLength: Int
    public let bosID: Int
    public let eosID: Int
    public let padID: Int
    private var cache: [String: [String]] = [:]
    private let byteEncoder: [Character]
    /// Special tokens as literal strings (BOS, EOS, the pad token), split out of the raw text before any clean-up,
    /// as transformers' added-tokens trie does. With SD 2's pad token `!`, every `!` becomes the pad id.
    private let specialTokens: [String]

    public static let startToken = "<|startoftext|>"
    public static let endToken = "<|endoftext|>"

    /// Loads `vocab.json`, `merges.txt` and (when present) `tokenizer_config.json` / `special_tokens_map.json`
    /// from a diffusers `tokenizer/` folder.
    public convenience init(folder: String) throws {
        let vocabPath = folder + "/vocab.json", mergesPath = folder + "/merges.txt"
        guard let vocabData = FileManager.default.contents(atPath: vocabPath) else {
            throw ModelError.missingFile(path: vocabPath, hint: "A CLIP tokenizer folder needs vocab.json and merges.txt.")
        }
        guard let mergesText = try? String(contentsOfFile: mergesPath, encoding: .utf8) else {
            throw ModelError.missingFile(path: mergesPath, hint: "A CLIP tokenizer folder needs vocab.json and merges.txt.")
        }
        guard let vocab = try? JSONDecoder().decode([String: Int].self, from: vocabData) else {
            throw ModelError.badConfig(path: vocabPath, reason: "not a JSON object of token → id")
        }
        var merges: [(String, String)] = []
        for (n, line) in mergesText.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            if n == 0 && line.hasPrefix("#version") { continue }
            let parts = line.split(separator: " ")
            if parts.isEmpty { continue }
            guard parts.count == 2 else {
                throw ModelError.badConfig(path: mergesPath, reason: "line \(n + 1) is not two space-separated symbols: \(line.prefix(40))")
            }
            merges.append((String(parts[0]), String(parts[1])))
        }
        let settings = Self.readSettings(folder: folder)
        try self.init(vocabulary: vocab, merges: merges, maxLength: settings.maxLength, padToken: settings.pad, source: folder)
    }

    public init(vocabulary: [String: Int], merges: [(String, String)], maxLength: Int = 77,
                padToken: String = CLIPTokenizer.endToken, source: String = "tokenizer") throws {
        guard let bos = vocabulary[Self.startToken], let eos = vocabulary[Self.endToken] else {
            throw ModelError.badConfig(path: source + "/vocab.json", reason: "the vocabulary lacks \(Self.startToken) or \(Self.endToken)")
        }
        guard let pad = vocabulary[padToken] else {
            throw ModelError.badConfig(path: source + "/vocab.json", reason: "the pad token \(padToken) is not in the vocabulary")
        }
        self.vocabulary = vocabulary
        var ranks: [String: Int] = [:]
        for (i, m) in merges.enumerated() where ranks["\(m.0) \(m.1)"] == nil { ranks["\(m.0) \(m.1)"] = i }
        mergeRanks = ranks
        self.maxLength = maxLength
        bosID = bos
        eosID = eos
        padID = pad
        byteEncoder = Self.bytesToUnicode()
        specialTokens = Array(Set([Self.startToken, Self.endToken, padToken])).sorted { $0.count > $1.count }
    }

    /// Token ids padded / truncated to `maxLength`, and the attention mask (1 for real tokens).
    public func encode(_ text: String) -> (ids: [Int], mask: [Int]) {
        let body = tokenize(text).map { vocabulary[$0] ?? eosID }.prefix(maxLength - 2)
        let ids = [bosID] + body + [eosID]
        let mask = Array(repeating: 1, count: ids.count) + Array(repeating: 0, count: maxLength - ids.count)
        return (ids + Array(repeating: padID, count: maxLength - ids.count), mask)
    }

    /// BPE tokens (strings) of `text`, without BOS/EOS.
    public func tokenize(_ text: String) -> [String] {
        var out: [String] = []
        for (segment, isSpecial) in splitSpecial(text) {
            if isSpecial { out.append(segment); continue }
            for piece in Self.split(Self.clean(segment)) {
                if piece == Self.startToken || piece == Self.endToken { out.append(piece); continue }
                let encoded = String(piece.utf8.map { byteEncoder[Int($0)] })
                out += bpe(encoded)
            }
        }
        return out
    }

    /// The raw text cut at every occurrence of a special token (longest first at each position).
    func splitSpecial(_ text: String) -> [(String, Bool)] {
        var parts: [(String, Bool)] = []
        var rest = Substring(text)
        var plain = ""
        while !rest.isEmpty {
            if let token = specialTokens.first(where: { rest.hasPrefix($0) }) {
                if !plain.isEmpty { parts.append((plain, false)); plain = "" }
                parts.append((token, true))
                rest = rest.dropFirst(token.count)
            } else {
                plain.append(rest.removeFirst())
            }
        }
        if !plain.isEmpty { parts.append((plain, false)) }
        return parts
    }

    // MARK: 1. Clean-up (BasicTokenizer)

    static func clean(_ text: String) -> String {
        var scalars = String.UnicodeScalarView()
        for s in text.unicodeScalars {
            if s.value == 0 || s.value == 0xFFFD || isControl(s) { continue }
            if isWhitespace(s) { scalars.append(" "); continue }
            if isCJK(s) { scalars.append(" "); scalars.append(s); scalars.append(" "); continue }
            scalars.append(s)
        }
        let nfc = String(scalars).precomposedStringWithCanonicalMapping
        let words = nfc.split(whereSeparator: { $0.unicodeScalars.allSatisfy(isWhitespace) }).map { $0.lowercased() }
        return words.joined(separator: " ").lowercased()
    }

    static func isWhitespace(_ s: Unicode.Scalar) -> Bool {
        s == " " || s == "\t" || s == "\n" || s == "\r" || s.properties.generalCategory == .spaceSeparator
    }

    static func isControl(_ s: Unicode.Scalar) -> Bool {
        if s == "\t" || s == "\n" || s == "\r" { return false }
        switch s.properties.generalCategory {
        case .control, .format, .surrogate, .privateUse, .unassigned: return true
        default: return false
        }
    }

    static func isCJK(_ s: Unicode.Scalar) -> Bool {
        let v = s.value
        return (0x4E00...0x9FFF).contains(v) || (0x3400...0x4DBF).contains(v) || (0x20000...0x2A6DF).contains(v)
            || (0x2A700...0x2B73F).contains(v) || (0x2B740...0x2B81F).contains(v) || (0x2B820...0x2CEAF).contains(v)
            || (0xF900...0xFAFF).contains(v) || (0x2F800...0x2FA1F).contains(v)
    }

    // MARK: 2. Split pattern

    static func isLetter(_ s: Unicode.Scalar) -> Bool {
        switch s.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter: return true
        default: return false
        }
    }

    static func isNumber(_ s: Unicode.Scalar) -> Bool {
        switch s.properties.generalCategory {
        case .decimalNumber, .letterNumber, .otherNumber: return true
        default: return false
        }
    }

    /// Python `regex` semantics of CLIP's pattern: alternatives tried in order at each position, unmatched
    /// characters (whitespace) skipped.
    static func split(_ text: String) -> [String] {
        let s = Array(text.unicodeScalars)
        var out: [String] = []
        var i = 0
        func matches(_ literal: String, at i: Int) -> Bool {
            let l = Array(literal.unicodeScalars)
            return i + l.count <= s.count && Array(s[i..<(i + l.count)]) == l
        }
        let literals = [startToken, endToken, "'s", "'t", "'re", "'ve", "'m", "'ll", "'d"]
        while i < s.count {
            if let lit = literals.first(where: { matches($0, at: i) }) {
                out.append(lit)
                i += lit.unicodeScalars.count
                continue
            }
            var j = i
            if isLetter(s[i]) {
                while j < s.count && isLetter(s[j]) { j += 1 }
            } else if isNumber(s[i]) {
                j = i + 1
            } else if !isWhitespace(s[i]) && !s[i].properties.isWhitespace {
                while j < s.count && !isLetter(s[j]) && !isNumber(s[j]) && !isWhitespace(s[j]) && !s[j].properties.isWhitespace { j += 1 }
            } else {
                i += 1
                continue
            }
            var piece = String.UnicodeScalarView()
            piece.append(contentsOf: s[i..<j])
            out.append(String(piece))
            i = j
        }
        return out
    }

    // MARK: 3. Byte-level BPE

    /// GPT-2's reversible byte → printable character table.
    static func bytesToUnicode() -> [Character] {
        var bs = Array(33...126) + Array(161...172) + Array(174...255)
        var cs = bs
        var n = 0
        for b in 0..<256 where !bs.contains(b) {
            bs.append(b)
            cs.append(256 + n)
            n += 1
        }
        var table = [Character](repeating: " ", count: 256)
        for (b, c) in zip(bs, cs) { table[b] = Character(Unicode.Scalar(UInt32(c))!) }
        return table
    }

    func bpe(_ token: String) -> [String] {
        if let hit = cache[token] { return hit }
        var word = token.map { String($0) }
        guard !word.isEmpty else { return [] }
        word[word.count - 1] += "</w>"
        while word.count > 1 {
            var best: (rank: Int, index: Int)?
            for i in 0..<(word.count - 1) {
                if let r = mergeRanks["\(word[i]) \(word[i + 1])"], r < (best?.rank ?? .max) { best = (r, i) }
            }
            guard let best else { break }
            // Merge every occurrence of the best pair, left to right.
            let (a, b) = (word[best.index], word[best.index + 1])
            var merged: [String] = []
            var i = 0
            while i < word.count {
                if i < word.count - 1 && word[i] == a && word[i + 1] == b {
                    merged.append(a + b)
                    i += 2
                } else {
                    merged.append(word[i])
                    i += 1
                }
            }
            word = merged
        }
        cache[token] = word
        return word
    }

    // MARK: Settings

    static func readSettings(folder: String) -> (maxLength: Int, pad: String) {
        var maxLength = 77, pad = endToken
        for name in ["tokenizer_config.json", "special_tokens_map.json"] {
            guard let data = FileManager.default.contents(atPath: folder + "/" + name),
                  let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { continue }
            if let m = json["model_max_length"] as? Int, m > 2, m <= 4096 { maxLength = m }
            if let p = json["pad_token"] as? String { pad = p }
            if let p = json["pad_token"] as? [String: Any], let content = p["content"] as? String { pad = content }
        }
        return (maxLength, pad)
    }
}

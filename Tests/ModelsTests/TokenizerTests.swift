import Foundation
import Testing
@testable import Models

/// CLIPTokenizer against transformers' outputs (`Tests/Fixtures/tokenizer/tokenizer_cases.json`).
@Suite struct TokenizerTests {
    struct Cases: Decodable {
        struct Case: Decodable {
            let text: String
            let input_ids: [Int]
            let attention_mask: [Int]
        }
        let cases: [Case]
    }

    @Test func matchesTransformers() throws {
        let tokenizer = try CLIPTokenizer(folder: fixtures + "/tokenizer")
        let data = try Data(contentsOf: URL(fileURLWithPath: fixtures + "/tokenizer/tokenizer_cases.json"))
        let cases = try JSONDecoder().decode(Cases.self, from: data).cases
        #expect(cases.count >= 20)
        for c in cases {
            let (ids, mask) = tokenizer.encode(c.text)
            #expect(ids == c.input_ids, "ids of \(c.text.debugDescription): \(tokenizer.tokenize(c.text))")
            #expect(mask == c.attention_mask, "mask of \(c.text.debugDescription)")
        }
    }

    /// The full CLIP vocabulary (49,408 tokens, the merges of OpenAI's bpe_simple_vocab_16e6) over 327 varied
    /// prompts: punctuation, digits, accents, emoji, CJK and other scripts, control characters, repeated spaces,
    /// prompts longer than 77 tokens.
    @Test func fullVocabularyMatchesTransformers() throws {
        let tokenizer = try CLIPTokenizer(folder: fixtures + "/clip_vocab")
        #expect(tokenizer.vocabulary.count == 49408)
        let data = try Data(contentsOf: URL(fileURLWithPath: fixtures + "/clip_vocab/clip_vocab_cases.json"))
        let cases = try JSONDecoder().decode(Cases.self, from: data).cases
        #expect(cases.count >= 250)
        var mismatches = 0
        for c in cases {
            let (ids, mask) = tokenizer.encode(c.text)
            if ids != c.input_ids || mask != c.attention_mask {
                mismatches += 1
                Issue.record("\(c.text.debugDescription): got \(ids.prefix(24)) expected \(c.input_ids.prefix(24))")
            }
        }
        #expect(mismatches == 0)
        #expect(tokenizer.encode("a photo of a cat").ids.prefix(7) == [49406, 320, 1125, 539, 320, 2368, 49407])
    }

    @Test func missingVocabularyNamesTheFile() {
        let error = #expect(throws: ModelError.self) { try CLIPTokenizer(folder: "/nonexistent/tokenizer") }
        #expect(error?.description.contains("/nonexistent/tokenizer/vocab.json") == true)
    }
}

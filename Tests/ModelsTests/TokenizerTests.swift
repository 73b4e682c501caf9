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

    @Test func missingVocabularyNamesTheFile() {
        let error = #expect(throws: ModelError.self) { try CLIPTokenizer(folder: "/nonexistent/tokenizer") }
        #expect(error?.description.contains("/nonexistent/tokenizer/vocab.json") == true)
    }
}

import Foundation
import Testing
@testable import Models

@Suite struct VocabularyBuilderTests {
    static let words = ["a", "an", "red", "green", "greenish", "circle", "square", "moving", "right", "on", "background",
                        "gradient", "and", "re", "dreaming"]

    @Test func everyWordIsOneTokenAndOtherTextStillTokenizes() throws {
        let builder = try BPEVocabularyBuilder(words: Self.words)
        let tokenizer = try builder.makeTokenizer()
        for word in Self.words { #expect(tokenizer.tokenize(word) == [word + "</w>"], "\(word)") }
        #expect(tokenizer.tokenize("a green circle moving right") == ["a</w>", "green</w>", "circle</w>", "moving</w>", "right</w>"])
        let unknown = tokenizer.tokenize("zebra")
        #expect(unknown.count > 1 && unknown.joined().replacingOccurrences(of: "</w>", with: "") == "zebra")
        let ids = tokenizer.encode("a red square").ids
        #expect(ids.count == 77 && ids[0] == tokenizer.bosID && ids[4] == tokenizer.eosID)
    }

    @Test func writtenFilesLoadBackIdentically() throws {
        let dir = NSTemporaryDirectory() + "/ctxedit-vocab-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let builder = try BPEVocabularyBuilder(words: Self.words)
        try builder.write(to: dir)
        let loaded = try CLIPTokenizer(folder: dir)
        let built = try builder.makeTokenizer()
        for text in ["a greenish gradient background", "dreaming of red", "Zebra! 42"] {
            #expect(loaded.encode(text).ids == built.encode(text).ids)
        }
        #expect(loaded.vocabulary.count == 512 + Set(builder.merges.map { $0.0 + $0.1 }).count + 2)
    }
}

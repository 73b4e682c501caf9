import Batch
import Foundation
import Models
import Testing
@testable import ModelRecipes

/// The default-model recipe decodes into the configs the loaders read, and the committed `Models/default` is
/// the recipe's model: same configs, small enough to commit, loadable with every component.
@Suite struct DefaultModelRecipeTests {
    @Test func configsDecode() throws {
        let r = DefaultModelRecipe()
        let vae = try DefaultModelRecipe.decode(AutoencoderConfig.self, r.vaeConfig(scalingFactor: 2))
        #expect(vae.blockOutChannels == [32, 64, 64] && vae.normNumGroups == 8 && vae.scalingFactor == 2)
        let tokenizer = try r.vocabulary().makeTokenizer()
        let text = try DefaultModelRecipe.decode(CLIPTextConfig.self, r.textConfig(vocabularySize: tokenizer.vocabulary.count))
        #expect(text.hiddenSize == 64 && text.numHiddenLayers == 2 && text.maxPositionEmbeddings == 77)
        let unet = try DefaultModelRecipe.decode(UNetConfig.self, r.unetConfig)
        #expect(unet.crossAttentionDim == text.hiddenSize && unet.blockOutChannels == [32, 64] && unet.attentionHeads == [4, 4])
        #expect(r.adapterConfig.contextDim == text.hiddenSize)
        // One token per caption word.
        let ids = tokenizer.encode("a red circle moving right on a gray background").ids
        #expect(ids.prefix(10).count == 10 && !ids[1..<9].contains(tokenizer.eosID))
        // ᾱ of DDPM's linear schedule at both ends: ᾱ_0 = 1 − β_0, and at T the mean of a 16x16 latent
        // (256 positions) is buried: 256·ᾱ_T/(1 − ᾱ_T) < 0.02.
        let alphas = try r.scheduler().schedule.alphasCumprod
        #expect(alphas.count == 1000 && abs(alphas[0] - (1 - 0.0001)) < 1e-6)
        #expect(256 * alphas[999] / (1 - alphas[999]) < 0.02)
    }

    @Test func committedModelMatchesRecipe() throws {
        let folder = try #require(ModelLocator.defaultModel(), "Models/default is missing (make model)")
        var bytes = 0
        let files = FileManager.default.enumerator(atPath: folder)?.allObjects as? [String] ?? []
        for f in files { bytes += (try? FileManager.default.attributesOfItem(atPath: folder + "/" + f)[.size] as? Int) ?? 0 }
        #expect(bytes <= 25_000_000, "\(bytes) bytes")
        #expect(files.contains("MODEL_CARD.md") && files.contains("adapter/config.json"))
        let m = try ModelFolder(path: folder)
        let unet = try loadConfig(UNetConfig.self, from: m.component("unet") + "/config.json")
        #expect(unet.blockOutChannels == [32, 64])
        // Its scheduler is the recipe's (the objective it was trained with: linear β, v-prediction).
        let scheduler = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: m.component("scheduler") + "/scheduler_config.json"))) as? [String: Any]
        let recipe = DefaultModelRecipe().schedulerConfig
        #expect(scheduler?["prediction_type"] as? String == recipe["prediction_type"] as? String)
        #expect(scheduler?["beta_schedule"] as? String == recipe["beta_schedule"] as? String)
        #expect(scheduler?["beta_end"] as? Double == recipe["beta_end"] as? Double)
        _ = try m.loadUNet()
        _ = try m.loadVAE()
        _ = try m.loadTextEncoder()
        #expect(try m.loadAdapter() != nil)
    }
}

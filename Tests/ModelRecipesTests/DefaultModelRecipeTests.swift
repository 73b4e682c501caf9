import Batch
import Foundation
import MediaIO
import Models
import Scenes
import Testing
import Training
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
        // Finer latents: two VAE levels (2x), three UNet levels, the finest without attention (heads only where
        // there is attention: diffusers reads one head count per level either way).
        var fine = r
        fine.vaeChannels = [32, 64]
        fine.unetChannels = [32, 32, 64]
        fine.unetLevelsWithoutAttention = 1
        #expect(fine.latentFactor == 2 && r.latentFactor == 4)
        let fineVAE = try DefaultModelRecipe.decode(AutoencoderConfig.self, fine.vaeConfig())
        #expect(fineVAE.blockOutChannels == [32, 64])
        let fineUNet = try DefaultModelRecipe.decode(UNetConfig.self, fine.unetConfig)
        #expect(fineUNet.downBlockTypes == ["DownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D"])
        #expect(fineUNet.upBlockTypes == ["CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "UpBlock2D"])
        #expect(fineUNet.sampleSize == 32 && unet.sampleSize == 16)
        // A shorter text: the tokenizer pads to it and the text encoder has as many positions.
        var short = r
        short.textLength = 20
        let shortText = try DefaultModelRecipe.decode(CLIPTextConfig.self, short.textConfig(vocabularySize: tokenizer.vocabulary.count))
        let shortIDs = try short.tokenizer().encode("a red circle").ids
        #expect(shortText.maxPositionEmbeddings == 20 && shortIDs.count == 20)
        #expect(short.layout["--text-length"] == "20" && r.layout["--text-length"] == "77")
        // One token per caption word.
        let ids = tokenizer.encode("a red circle moving right on a gray background").ids
        #expect(ids.prefix(10).count == 10 && !ids[1..<9].contains(tokenizer.eosID))
        // ᾱ of DDPM's linear schedule at both ends: ᾱ_0 = 1 − β_0, and at T the mean of a 16x16 latent
        // (256 positions) is buried: 256·ᾱ_T/(1 − ᾱ_T) < 0.02.
        let alphas = try r.scheduler().schedule.alphasCumprod
        #expect(alphas.count == 1000 && abs(alphas[0] - (1 - 0.0001)) < 1e-6)
        #expect(256 * alphas[999] / (1 - alphas[999]) < 0.02)
    }

    /// The joint stage's loss weights: 1 + weight × the object's mean coverage per 4x4 cell, on every channel.
    @Test func objectWeightsPoolTheMaskToTheLatentGrid() {
        var mask = [Float](repeating: 0, count: 8 * 8)
        for y in 0..<4 { for x in 4..<8 { mask[y * 8 + x] = 1 } }   // the top-right cell, fully covered
        mask[5 * 8 + 1] = 0.5                                        // one half-covered pixel in the bottom-left cell
        let w = DefaultModelTraining.objectWeights([mask, [Float](repeating: 0, count: 64)], size: 8, factor: 4,
                                                   channels: 2, weight: 4)
        #expect(w.shape == [2, 2, 2, 2])
        let cell: [Float] = [1, 5, 1 + 4 * 0.5 / 16, 1]
        #expect(Array(w.scalars[0..<4]) == cell && Array(w.scalars[4..<8]) == cell)
        #expect(w.scalars[8...].allSatisfy { $0 == 1 })
    }

    /// Focus scenes (`focusShare`, `focusOnlySteps`): the sampled scene's shape and colour, large, resting, unrotated,
    /// on a plain background of another colour, and the whole object inside the frame in every frame.
    @Test func focusScenesKeepShapeAndColourAndStayInFrame() {
        for seed in UInt64(0)..<200 {
            var sampler = SceneSampler(seed: seed)
            let scene = sampler.next(), focus = DefaultModelTraining.focused(scene)
            #expect(focus.shape == scene.shape && focus.color == scene.color && focus.size == .large)
            #expect(focus.motion == .resting && focus.rotation == 0 && focus.colorsAreDistinct)
            guard case .plain = focus.background else { Issue.record("seed \(seed): \(focus.background)"); continue }
            if seed % 20 == 0 {
                // Coverage summed over the frame equals the shape's area (none of it cut off by an edge).
                let rendered = SceneRenderer.render(focus, size: Size(width: 64, height: 64), frames: 2)
                let r = ShapeSize.large.radius(in: Size(width: 64, height: 64))
                let area = rendered.masks[0].reduce(0, +), expected = Float(focus.shape.unitArea * r * r)
                #expect(abs(area - expected) < 0.03 * expected, "seed \(seed): \(area) vs \(expected)")
            }
        }
    }

    /// Training captions: the empty caption at the dropout rate, else the caption with phrases left out at their
    /// rate, never colour or shape.
    @Test func trainingCaptionsDropPhrasesAtTheRecipesRates() {
        let scene = Scene(shape: .star, color: .red, size: .large, background: .plain(.blue), motion: .linear(toward: .up))
        var rng = TrainingRandom(seed: 7, stream: 0)
        let r = DefaultModelRecipe()
        var empty = 0, full = 0, noBackground = 0
        let n = 4000
        for _ in 0..<n {
            let c = DefaultModelTraining.caption(scene, recipe: r, rng: &rng)
            if c.isEmpty { empty += 1; continue }
            #expect(c.contains("red star"))
            if c == scene.caption { full += 1 }
            if !c.contains("background") { noBackground += 1 }
        }
        let kept = Double(n - empty)
        #expect(abs(Double(empty) / Double(n) - r.captionDropout) < 0.02)
        #expect(abs(Double(full) / kept - pow(1 - r.captionPhraseDrop, 3)) < 0.03)
        #expect(abs(Double(noBackground) / kept - r.captionPhraseDrop) < 0.03)
    }

    /// `longestCaptionWords` (the shortest `--text-length` train-default accepts, less the start and end tokens) is
    /// the longest caption: the longest phrase of each part, and no caption of 20 000 sampled scenes is longer.
    @Test func longestCaptionBoundsEverySampledCaption() {
        let longest = Scene(shape: .triangle, color: .yellow, size: .large, background: .checkerboard(.black, .white),
                            motion: .linear(toward: .upLeft), speed: 0.5, rotation: 1)
        #expect(longest.caption.split(separator: " ").count == DefaultModelRecipe.longestCaptionWords, "\(longest.caption)")
        var sampler = SceneSampler(seed: 11)
        let most = (0..<20_000).map { _ in sampler.next().caption.split(separator: " ").count }.max() ?? 0
        #expect(most <= DefaultModelRecipe.longestCaptionWords)
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

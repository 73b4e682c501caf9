import Diffusion
import MediaIO
import Foundation
import Models
import SafeTensors
import Testing
import Training
@testable import ModelRecipes

/// `make model`'s training at toy size (32x32 frames, one VAE step, joint steps of both kinds): it runs, resumes
/// (a longer run on the schedule of its new length) and exports a folder that loads, with the recipe's objective in
/// its scheduler config.
@Suite struct DefaultModelTrainingTests {
    /// A JSON value read for one string field.
    struct AnyDecodable: Decodable {
        let string: String?
        init(from decoder: Decoder) throws { string = try? decoder.singleValueContainer().decode(String.self) }
    }

    /// A temporary folder (`remove()` it when done) and trainings on it that log every step into `lines`.
    final class ToyRun {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("ctxedit-toy-\(UUID().uuidString)").path
        var lines: [String] = []

        func training(_ recipe: DefaultModelRecipe) -> DefaultModelTraining {
            let training = DefaultModelTraining(recipe: recipe, workFolder: folder + "/work")
            training.logEvery = 1
            training.log = { [unowned self] in self.lines.append($0) }
            return training
        }

        /// The logged lines of one stage ("vae step", "joint step") and whether all their numbers are finite.
        func steps(_ prefix: String) -> (count: Int, finite: Bool) {
            let steps = lines.filter { $0.hasPrefix(prefix) }
            return (steps.count, steps.allSatisfy { !$0.contains("nan") && !$0.contains("inf") })
        }

        func remove() { try? FileManager.default.removeItem(atPath: folder) }

        /// Both stages of `recipe` (`shortToyRecipe`'s two joint steps: an image step of 2 single frames, then a
        /// clip step of 1 clip of 2 frames); each must log a finite loss.
        func trainBothStages(_ recipe: DefaultModelRecipe) throws -> DefaultModelTraining {
            let training = training(recipe)
            try training.trainVAE()
            try training.trainJoint()
            let losses = steps("joint step")
            #expect(losses.count == recipe.jointSteps && losses.finite, "\(lines)")
            return training
        }
    }

    /// The recipe at toy size: 32x32 frames.
    static func toyRecipe() -> DefaultModelRecipe {
        var r = DefaultModelRecipe()
        r.imageSize = 32
        return r
    }

    /// The toy recipe cut to one VAE step of one frame and two joint steps (an image step, then a clip step) of
    /// one 2-frame clip.
    static func shortToyRecipe() -> DefaultModelRecipe {
        var r = toyRecipe()
        r.vaeBatch = 1
        r.vaeSteps = 1
        r.clipsPerStep = 1
        r.clipFrames = 2
        r.jointSteps = 2
        return r
    }

    @Test func toyRunTrainsBothStepKindsResumesAndExports() throws {
        var r = Self.shortToyRecipe()
        r.checkpointEvery = 1
        let run = ToyRun(), work = run.folder
        defer { run.remove() }
        _ = try run.trainBothStages(r)

        // A longer run continues from the checkpoint instead of starting over.
        var longer = r
        longer.jointSteps = 3
        let resumed = run.training(longer)
        try resumed.trainJoint()
        #expect(run.lines.contains { $0.contains("resuming at step 2") }, "\(run.lines)")
        // ... on the cosine of the new length (the checkpoint's schedule had reached zero at step 2).
        #expect(run.lines.contains { $0.contains("schedule now cosine(warmupSteps: 50, totalSteps: 3") }, "\(run.lines)")

        // The work folder keeps its layout: another one stops the run and the export, naming the options.
        var other = longer
        other.vaeChannels = [32, 64]
        let mismatch = #expect(throws: TrainingError.self) { try run.training(other).trainJoint() }
        #expect(mismatch?.description.contains("trained with --vae-channels 32,64,64, this run asks for --vae-channels 32,64") == true,
                "\(String(describing: mismatch))")
        #expect(throws: TrainingError.self) { try run.training(other).export(to: work + "/other") }
        #expect(!FileManager.default.fileExists(atPath: work + "/other.partial"))
        // A folder from before an option existed (its layout lacks --text-length) counts as trained with its default.
        var record = TrainingRecord.load(work + "/work/record.json")
        record.layout?["--text-length"] = nil
        try record.save(work + "/work/record.json")
        var longerText = longer
        longerText.textLength = 20
        let textMismatch = #expect(throws: TrainingError.self) { try run.training(longerText).trainJoint() }
        #expect(textMismatch?.description.contains("trained with --text-length 77") == true, "\(String(describing: textMismatch))")
        // On/off settings read as their flags.
        var withEmbedding = longer
        withEmbedding.textTimeEmbedding = true
        let flagMismatch = #expect(throws: TrainingError.self) { try run.training(withEmbedding).trainJoint() }
        #expect(flagMismatch?.description.contains("trained with --no-text-time-embedding, this run asks for --text-time-embedding") == true,
                "\(String(describing: flagMismatch))")

        try resumed.export(to: work + "/model")
        let folder = try ModelFolder(path: work + "/model")
        let scheduler = try loadConfig(SchedulerConfig.self, from: folder.component("scheduler") + "/scheduler_config.json")
        #expect(scheduler.prediction == .vPrediction && scheduler.betaSchedule == .linear && scheduler.betaEnd == 0.02)
        _ = try folder.loadUNet()
        _ = try folder.loadTextEncoder()
        #expect(try folder.loadAdapter() != nil)
    }

    /// With a moving average (`averageDecay`), the weights stage (b) leaves to export (`joint-latest`) are the
    /// checkpoint's averages (`ema/...`), not its last parameters, and the exported card says so.
    @Test func averagedRunExportsTheAverage() throws {
        var r = Self.shortToyRecipe()
        r.jointSteps = 3
        r.averageDecay = 0.5
        let run = ToyRun()
        defer { run.remove() }
        let training = try run.trainBothStages(r)
        let joint = run.folder + "/work/joint"
        let state = try JSONDecoder().decode([String: AnyDecodable].self,
                                             from: Data(contentsOf: URL(fileURLWithPath: joint + "/state.json")))
        let checkpoint = try SafeTensorsFile(path: joint + "/" + #require(state["tensors"]?.string))
        let latest = try SafeTensorsFile(path: run.folder + "/work/joint-latest/unet.safetensors")
        var differing = 0
        for name in latest.names {
            let exported = try latest.floats(name)
            #expect(exported == (try checkpoint.floats("ema/unet/" + name)), "\(name) is not the average")
            if exported != (try checkpoint.floats("param/unet/" + name)) { differing += 1 }
        }
        #expect(differing > latest.names.count / 2, "only \(differing) of \(latest.names.count) tensors differ from the last weights")
        // The card says which weights were exported.
        try training.export(to: run.folder + "/model")
        let card = try String(contentsOfFile: run.folder + "/model/MODEL_CARD.md", encoding: .utf8)
        #expect(card.contains("moving average of its weights, decay 0.5"), "\(card)")
    }

    /// Finer latents (a VAE of two levels: 2x downsampling), a UNet whose finest level has no attention and adds
    /// the pooled text to its time embedding, and a 20-token text: both stages run, and the exported folder loads
    /// as a model with latent factor 2, those block types, the text time embedding and a tokenizer of 20 positions.
    @Test func finerLatentsRecipeTrainsAndExports() throws {
        var r = Self.shortToyRecipe()
        r.textLength = 20
        r.textTimeEmbedding = true
        r.vaeChannels = [32, 64]
        r.unetChannels = [32, 32, 64]
        r.unetLevelsWithoutAttention = 1
        let run = ToyRun()
        defer { run.remove() }
        let training = try run.trainBothStages(r)
        try training.export(to: run.folder + "/model")
        let model = try StableDiffusion.load(run.folder + "/model")
        #expect(model.latentScale == 2)
        #expect(model.tokenizer.maxLength == 20 && model.tokenizer.encode("a red circle").ids.count == 20)
        let unet = try loadConfig(UNetConfig.self, from: run.folder + "/model/unet/config.json")
        #expect(unet.downBlockTypes == ["DownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D"])
        #expect(unet.upBlockTypes == ["CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "UpBlock2D"])
        #expect(unet.sampleSize == 16 && unet.additionEmbedType == "text")
        let card = try String(contentsOfFile: run.folder + "/model/MODEL_CARD.md", encoding: .utf8)
        #expect(card.contains("(16x16x4 latents)") && card.contains("no attention in the finest level")
                && card.contains("20 positions") && card.contains("pooled caption is added to the time embedding"))
        // Its latents are 16x16 for 32x32 frames.
        let frames = FrameBatch(images: [RGBImage(width: 32, height: 32, pixels: [UInt8](repeating: 128, count: 32 * 32 * 3))], frameRate: 8)
        #expect(model.encodeFrames(frames).shape == [1, 4, 16, 16])
    }

    /// Stage (a′), the decoder on noisy latents: it trains only decoder keys (the encoder, whose latents stage (b)
    /// reads, stays bit for bit), resumes a longer run from its checkpoint, and the export ships its VAE and states
    /// the stage in the card.
    @Test func decoderStageTrainsOnlyTheDecoderResumesAndExports() throws {
        var r = Self.shortToyRecipe()
        r.checkpointEvery = 1
        r.decoderSteps = 2
        r.decoderLatentNoise = 0.5
        r.decoderObjectLossWeight = 4
        let run = ToyRun(), work = run.folder + "/work"
        defer { run.remove() }
        let training = try run.trainBothStages(r)
        try training.trainDecoder()
        #expect(run.steps("decoder step") == (2, true), "\(run.lines)")
        let before = try SafeTensorsFile(path: work + "/vae-final.safetensors")
        let after = try SafeTensorsFile(path: work + "/vae-decoder-final.safetensors")
        #expect(Set(before.names) == Set(after.names))
        var changed: [String] = []
        for name in before.names {
            if try before.floats(name) != after.floats(name) { changed.append(name) }
        }
        #expect(!changed.isEmpty && changed.allSatisfy(DefaultModelTraining.isDecoderKey), "\(changed)")

        // Done: a second call does nothing; a longer run of the stage resumes at its checkpoint.
        try training.trainDecoder()
        #expect(run.lines.contains { $0.contains("stage a′ (VAE decoder on noisy latents): done earlier") })
        try FileManager.default.removeItem(atPath: work + "/vae-decoder-final.safetensors")
        var longer = r
        longer.decoderSteps = 3
        try run.training(longer).trainDecoder()
        #expect(run.lines.contains { $0.contains("resuming at step 2") } && run.steps("decoder step").count == 3, "\(run.lines)")
        #expect(TrainingRecord.load(work + "/record.json").decoder?.curve.map(\.step) == [1, 2, 3])

        try run.training(longer).export(to: run.folder + "/model")
        let shipped = try SafeTensorsFile(path: run.folder + "/model/vae/diffusion_pytorch_model.fp16.safetensors")
        let final = try SafeTensorsFile(path: work + "/vae-decoder-final.safetensors")
        let key = try #require(changed.first)
        let rounded = try final.floats(key).map { Float(Float16($0)) }
        #expect(try shipped.floats(key) == rounded)
        let card = try String(contentsOfFile: run.folder + "/model/MODEL_CARD.md", encoding: .utf8)
        #expect(card.contains("| a′ | VAE decoder on noisy latents") && card.contains("σ ~ U(0, 0.5)")
                && card.contains("- VAE decoder MSE on noisy latents: 1: "), "\(card)")
    }

    /// Stage (a) with the object-weighted reconstruction (`vaeObjectLossWeight`): two steps at toy size give
    /// finite losses, and the weights it uses are 1 + w·coverage per pixel and channel (masks at factor 1).
    @Test func objectWeightedVAEStepRuns() throws {
        var r = Self.toyRecipe()
        r.vaeBatch = 2
        r.vaeSteps = 2
        r.vaeObjectLossWeight = 8
        let run = ToyRun()
        defer { run.remove() }
        try run.training(r).trainVAE()
        let steps = run.steps("vae step")
        #expect(steps.count == 2 && steps.finite, "\(run.lines)")
        let mask: [Float] = [0, 0.5, 1, 0]
        let w = DefaultModelTraining.objectWeights([mask], size: 2, factor: 1, channels: 3, weight: 8)
        #expect(w.shape == [1, 3, 2, 2] && w.scalars == [1, 5, 9, 1, 1, 5, 9, 1, 1, 5, 9, 1])
    }
}

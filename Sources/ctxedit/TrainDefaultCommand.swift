import ArgumentParser
import Foundation
import ModelRecipes

/// `ctxedit train-default --out Models/default`: train the embedded default model from scratch (resumable).
struct TrainDefaultCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train-default",
        abstract: "Train the default model from scratch on rendered scenes and write it as a diffusers folder.",
        discussion: """
        Stage (a) trains the VAE, stage (b) the text encoder, UNet and ContextDiff adapter jointly (see
        Sources/ModelRecipes/DefaultModelRecipe.swift and Models/default/MODEL_CARD.md). Checkpoints go to --work
        every --checkpoint-every steps; running the same command again continues from the last one.

        Examples:
          ctxedit train-default --out Models/default          # make model
          ctxedit train-default --out /tmp/m --vae-steps 20 --steps 20   # a quick smoke run
          ctxedit train-default --out Models/default --export-only
        """
    )

    @Option(help: "Model folder to write (diffusers layout).")
    var out = "Models/default"

    @Option(help: "Checkpoint folder (resumed from when it holds a run).")
    var work = ".build/default-model-training"

    @Option(name: .customLong("vae-steps"), help: "Stage (a) steps (default: the recipe's).")
    var vaeSteps: Int?

    @Option(help: "Stage (b) steps (default: the recipe's).")
    var steps: Int?

    @Option(name: .customLong("vae-learning-rate"), help: "Stage (a) peak learning rate (default: the recipe's).")
    var vaeLearningRate: Double?

    @Option(name: .customLong("learning-rate"), help: "Stage (b) peak learning rate (default: the recipe's).")
    var learningRate: Double?

    @Option(name: .customLong("focus-share"), help: "Share of stage (b) scenes drawn large, resting, on a plain background (default: the recipe's).")
    var focusShare: Double?

    @Option(name: .customLong("focus-only-steps"), help: "Stage (b) steps at the start that draw focus scenes only (default: the recipe's).")
    var focusOnlySteps: Int?

    @Option(name: .customLong("vae-object-weight"), help: "Stage (a): weigh the squared error on the object's pixels by 1 + this (default: the recipe's, 0).")
    var vaeObjectWeight: Float?

    @Option(name: .customLong("unet-channels"), help: "The UNet's channels per level, finest first, comma-separated (default: the recipe's, 32,64).")
    var unetChannels: String?

    @Option(name: .customLong("unet-levels-without-attention"), help: "How many of the UNet's finest levels have no attention (default: the recipe's, 0).")
    var unetLevelsWithoutAttention: Int?

    @Option(name: .customLong("vae-channels"), help: "The VAE's channels per level, comma-separated; n levels downsample by 2^(n-1) (default: the recipe's, 32,64,64).")
    var vaeChannels: String?

    @Option(name: .customLong("beta-end"), help: "The noise schedule's last β (linear from 1e-4; default: the recipe's, 0.02). Larger buries the latents sooner, as finer latents need.")
    var betaEnd: Double?

    @Option(name: .customLong("text-length"), help: "Token positions of a prompt (tokenizer model_max_length, text encoder max_position_embeddings; default: the recipe's, 77).")
    var textLength: Int?

    @Flag(name: .customLong("text-time-embedding"), inversion: .prefixedNo,
          help: "The UNet also adds the pooled caption to its time embedding (diffusers addition_embed_type \"text\"; default: the recipe's).")
    var textTimeEmbedding: Bool?

    @Option(name: .customLong("clips-per-step"), help: "Stage (b) clips per step; an image step draws clips × 4 single frames (default: the recipe's, 2).")
    var clipsPerStep: Int?

    @Option(name: .customLong("ema-decay"), help: "Stage (b): keep a moving average of the weights with this decay (such as 0.999) and export it (default: the recipe's; 0: none).")
    var emaDecay: Double?

    @Option(name: .customLong("decoder-steps"), help: "Stage (a′) steps: the VAE decoder on noisy latents, encoder frozen (default: the recipe's; 0 skips it).")
    var decoderSteps: Int?

    @Option(name: .customLong("decoder-noise"), help: "Stage (a′): the largest noise σ per scaled latent element (default: the recipe's).")
    var decoderNoise: Float?

    @Option(name: .customLong("decoder-object-weight"), help: "Stage (a′): weigh the squared error on the object's pixels by 1 + this (default: the recipe's).")
    var decoderObjectWeight: Float?

    @Flag(name: .customLong("vae-only"), help: "Stop after stage (a) and, with --decoder-steps, stage (a′) (to try VAE settings).")
    var vaeOnly = false

    @Option(name: .customLong("checkpoint-every"), help: "Steps between checkpoints.")
    var checkpointEvery: Int?

    @Flag(help: "Start over: delete --work first.")
    var fresh = false

    @Flag(name: .customLong("export-only"), help: "Only write --out from the checkpoints there are.")
    var exportOnly = false

    /// "32,64" → [32, 64]: channels per level, each a positive multiple of 8 (the group norms' 8 groups).
    static func levels(_ text: String, option: String, example: String) throws -> [Int] {
        let levels = text.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !levels.isEmpty, levels.allSatisfy({ ($0 ?? 0) > 0 && ($0 ?? 0) % 8 == 0 }) else {
            throw ValidationError("\(option) \(text): give channels per level, each a multiple of 8 (the group norms' 8 groups), such as \(example)")
        }
        return levels.compactMap { $0 }
    }

    func run() throws {
        var recipe = DefaultModelRecipe()
        if let vaeSteps { recipe.vaeSteps = vaeSteps }
        if let steps { recipe.jointSteps = steps }
        if let vaeLearningRate { recipe.vaeLearningRate = vaeLearningRate }
        if let learningRate { recipe.jointLearningRate = learningRate }
        if let focusShare {
            guard (0...1).contains(focusShare) else { throw ValidationError("--focus-share \(focusShare): give a share from 0 to 1") }
            recipe.focusShare = focusShare
        }
        if let focusOnlySteps { recipe.focusOnlySteps = max(0, focusOnlySteps) }
        if let vaeObjectWeight {
            guard vaeObjectWeight >= 0 else { throw ValidationError("--vae-object-weight \(vaeObjectWeight): give 0 or more") }
            recipe.vaeObjectLossWeight = vaeObjectWeight
        }
        if let unetChannels { recipe.unetChannels = try Self.levels(unetChannels, option: "--unet-channels", example: "32,64") }
        if let vaeChannels { recipe.vaeChannels = try Self.levels(vaeChannels, option: "--vae-channels", example: "32,64,64") }
        if let unetLevelsWithoutAttention {
            guard (0..<recipe.unetChannels.count).contains(unetLevelsWithoutAttention) else {
                throw ValidationError("--unet-levels-without-attention \(unetLevelsWithoutAttention): give 0 to \(recipe.unetChannels.count - 1) (the coarsest level keeps its attention)")
            }
            recipe.unetLevelsWithoutAttention = unetLevelsWithoutAttention
        }
        if let betaEnd {
            guard betaEnd > recipe.betaStart, betaEnd < 1 else { throw ValidationError("--beta-end \(betaEnd): give a β above \(recipe.betaStart) and below 1") }
            recipe.betaEnd = betaEnd
        }
        if let textLength {
            let longest = DefaultModelRecipe.longestCaptionWords + 2
            guard (longest...77).contains(textLength) else {
                throw ValidationError("--text-length \(textLength): give \(longest) (the longest caption's words + start and end tokens) to 77")
            }
            recipe.textLength = textLength
        }
        if let textTimeEmbedding { recipe.textTimeEmbedding = textTimeEmbedding }
        if let clipsPerStep {
            guard clipsPerStep > 0 else { throw ValidationError("--clips-per-step \(clipsPerStep): give 1 or more") }
            recipe.clipsPerStep = clipsPerStep
        }
        if let emaDecay {
            guard (0..<1).contains(emaDecay) else { throw ValidationError("--ema-decay \(emaDecay): give a decay from 0 (no average) to below 1, such as 0.999") }
            recipe.averageDecay = emaDecay
        }
        if let decoderSteps {
            guard decoderSteps >= 0 else { throw ValidationError("--decoder-steps \(decoderSteps): give 0 (no stage a′) or more") }
            recipe.decoderSteps = decoderSteps
        }
        if let decoderNoise {
            guard decoderNoise >= 0, decoderNoise <= 1 else { throw ValidationError("--decoder-noise \(decoderNoise): give a σ from 0 to 1 (the scaled latents have standard deviation 1)") }
            recipe.decoderLatentNoise = decoderNoise
        }
        if let decoderObjectWeight {
            guard decoderObjectWeight >= 0 else { throw ValidationError("--decoder-object-weight \(decoderObjectWeight): give 0 or more") }
            recipe.decoderObjectLossWeight = decoderObjectWeight
        }
        if let checkpointEvery { recipe.checkpointEvery = max(1, checkpointEvery) }
        if fresh { try? FileManager.default.removeItem(atPath: work) }
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        let training = DefaultModelTraining(recipe: recipe, workFolder: work)
        training.log = { line in
            FileHandle.standardOutput.write(Data((line + "\n").utf8))
        }
        if !exportOnly {
            try training.trainVAE()
            try training.trainDecoder()
            if vaeOnly { return }
            try training.trainJoint()
        }
        try training.export(to: out)
    }
}

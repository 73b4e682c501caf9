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

    @Flag(name: .customLong("vae-only"), help: "Stop after stage (a) (to try VAE settings).")
    var vaeOnly = false

    @Option(name: .customLong("checkpoint-every"), help: "Steps between checkpoints.")
    var checkpointEvery: Int?

    @Flag(help: "Start over: delete --work first.")
    var fresh = false

    @Flag(name: .customLong("export-only"), help: "Only write --out from the checkpoints there are.")
    var exportOnly = false

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
        if let checkpointEvery { recipe.checkpointEvery = max(1, checkpointEvery) }
        if fresh { try? FileManager.default.removeItem(atPath: work) }
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        let training = DefaultModelTraining(recipe: recipe, workFolder: work)
        training.log = { line in
            FileHandle.standardOutput.write(Data((line + "\n").utf8))
        }
        if !exportOnly {
            try training.trainVAE()
            if vaeOnly { return }
            try training.trainJoint()
        }
        try training.export(to: out)
    }
}

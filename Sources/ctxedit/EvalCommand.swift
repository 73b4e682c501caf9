import ArgumentParser
import Batch
import Diffusion
import Evaluation
import Foundation
import Tensors
import Training

/// `ctxedit eval`: the edit-quality benchmark on held-out rendered scenes, with its ablation rows.
struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Score edits of held-out rendered scenes against the renderer's ground truth (with ablations).",
        discussion: """
        Each held-out scene (SceneSampler seeds seed-base+i, never drawn in training) is edited four ways (colour,
        shape, background, colour+shape) under each variant: adapter on/off, sparse-causal vs per-frame attention,
        the unedited source as the floor, and the model one-shot tuned on each scene's source clip under its
        caption (as `ctxedit tune`, --tune-steps steps; then adapter, sparse-causal). Scores: attribute accuracy measured from pixels in the ground-truth
        object region, PSNR/MAE against the perfect edit's rendering, MAE of the unchanged region against the
        source, and flicker relative to the ground truth.

        Examples:
          ctxedit eval                          # default model, writes out/eval.json and out/eval.md (make eval)
          ctxedit eval --scenes 2 --steps 10    # a quick look
          ctxedit eval --tune-steps 0           # without the tuned row
        """
    )

    @OptionGroup var model: ModelOptions

    @Option(help: "Held-out scenes (each edited 4 ways).")
    var scenes = 4

    @Option(name: .customLong("seed-base"), help: "First scene seed.")
    var seedBase: UInt64 = 1_000_000

    @Option(help: "Frames per clip.")
    var frames = 8

    @Option(help: "Frame side in pixels (the default model's is 64).")
    var size = 64

    @Option(help: "DDIM steps.")
    var steps = 15

    @Option(help: "Classifier-free guidance scale.")
    var guidance: Float = 5

    @Option(name: .customLong("tune-steps"), help: "One-shot tuning steps per scene for the tuned row (0: no tuned row).")
    var tuneSteps = 20

    @Option(name: .customLong("tune-lr"), help: "Learning rate of that tuning (default: ctxedit tune's).")
    var tuneLR = TuningSettings().learningRate

    @Option(help: "Edit region of the edited rows: auto, auto:T or whole (as ctxedit --region); one row always edits the whole frame.")
    var region = "auto"

    @Option(help: "Strength of the edited rows, in (0, 1] (as ctxedit --strength).")
    var strength = 1.0

    @Option(name: .customLong("negative-prompt"), help: "Guidance's unconditional prompt for every edit (as ctxedit --negative-prompt; default: the empty prompt).")
    var negativePrompt = ""

    @Option(name: .customLong("region-noise"), help: "Fresh noise inside the edit region of the edited rows, in [0, 1] (as ctxedit --region-noise).")
    var regionNoise = 0.0

    @Option(help: "Output files: PREFIX.json and PREFIX.md.")
    var out = "out/eval"

    func validate() throws {
        if !EditSettings.isValidStrength(strength) { throw ValidationError("--strength \(strength): give a number in (0, 1].") }
        try VideoEditOptions.checkRegionNoise(regionNoise, region: try editRegion())
        if tuneSteps < 0 { throw ValidationError("--tune-steps \(tuneSteps): give 0 (no tuned row) or more.") }
        if !(tuneLR > 0 && tuneLR.isFinite) { throw ValidationError("--tune-lr \(tuneLR): give a positive learning rate, e.g. 1e-4.") }
    }

    func run() throws {
        Allocator.keepFreedMemory()
        let sd = try model.load()
        var options = EditBenchmark.Options()
        options.scenes = scenes
        options.seedBase = seedBase
        options.frames = frames
        options.size = size
        options.steps = steps
        options.guidance = guidance
        let cases = EditBenchmark.cases(options)
        let tuning = try self.tuning()
        let variants = EditBenchmark.variants(steps: steps, guidance: guidance, hasAdapter: sd.adapter != nil, tuning: tuning,
                                              region: try editRegion(), strength: strength, negativePrompt: negativePrompt,
                                              regionNoise: regionNoise)
        let start = Date()
        let results = try EditBenchmark.run(model: sd, cases: cases, variants: variants, options: options) { line in
            FileHandle.standardError.write(Data((line + "\n").utf8))
        }
        let settings = ["model": sd.identity, "scenes": "\(scenes)", "seed_base": "\(seedBase)", "frames": "\(frames)",
                        "size": "\(size)", "steps": "\(steps)", "guidance": "\(guidance)", "region": region, "strength": "\(strength)", "region_noise": "\(regionNoise)",
                        "negative_prompt": negativePrompt,
                        "tune_steps": "\(tuning?.steps ?? 0)", "tune_lr": "\(tuneLR)",
                        "seconds": String(format: "%.0f", Date().timeIntervalSince(start))]
        let table = BenchmarkTable(results: results, settings: settings)
        print(table.text, terminator: "")
        let dir = (out as NSString).deletingLastPathComponent
        if !dir.isEmpty { try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) }
        struct Report: Encodable {
            var table: BenchmarkTable
            var results: [EditBenchmark.Result]
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(Report(table: table, results: results)).write(to: URL(fileURLWithPath: out + ".json"), options: .atomic)
        let tuned = tuning.map { "; tuned row: one-shot tuning on each source clip under its caption, \($0.summary)" } ?? ""
        let header = "Edit benchmark: \(scenes) held-out scenes × 4 edits, \(frames) frames at \(size)x\(size), \(steps) DDIM steps, guidance \(guidance), \(negativePrompt.isEmpty ? "" : "negative prompt \"\(negativePrompt)\", ")region \(region), strength \(strength)\(regionNoise > 0 ? ", region noise \(regionNoise)" : "") (model \(sd.identity))\(tuned).\n\n"
        try (header + table.markdown).write(toFile: out + ".md", atomically: true, encoding: .utf8)
        print("wrote \(out).json and \(out).md")
    }

    /// `--region`, parsed.
    func editRegion() throws -> EditRegion {
        guard let parsed = EditRegion(parsing: region) else { throw ValidationError("--region \(region): give \(EditRegion.accepted).") }
        return parsed
    }

    /// The tuned row's tuning: nil with --tune-steps 0, or with --tuned (the row tunes the base model per scene;
    /// a folder `ctxedit tune` wrote is benchmarked by the other rows).
    func tuning() throws -> EditBenchmark.Tuning? {
        guard tuneSteps > 0 else { return nil }
        if model.tuned != nil {
            FileHandle.standardError.write(Data("note: --tuned given: no tuned row (it tunes the base model on each scene); pass --tune-steps 0 to silence this\n".utf8))
            return nil
        }
        let path: String
        do { path = try ModelLocator.resolve(model.model) } catch { throw ValidationError("\(error).") }
        var settings = EditBenchmark.Tuning.defaultSettings
        settings.learningRate = tuneLR
        return EditBenchmark.Tuning(model: path, steps: tuneSteps, settings: settings)
    }
}

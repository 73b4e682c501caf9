import ArgumentParser
import Diffusion
import Evaluation
import Foundation

/// `ctxedit eval`: the edit-quality benchmark on held-out rendered scenes, with its ablation rows.
struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Score edits of held-out rendered scenes against the renderer's ground truth (with ablations).",
        discussion: """
        Each held-out scene (SceneSampler seeds seed-base+i, never drawn in training) is edited four ways (colour,
        shape, background, colour+shape) under each variant: adapter on/off, sparse-causal vs per-frame attention,
        and the unedited source as the floor. Scores: attribute accuracy measured from pixels in the ground-truth
        object region, PSNR/MAE against the perfect edit's rendering, MAE of the unchanged region against the
        source, and flicker relative to the ground truth.

        Examples:
          ctxedit eval                          # default model, writes out/eval.json and out/eval.md (make eval)
          ctxedit eval --scenes 2 --steps 10    # a quick look
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

    @Option(help: "Output files: PREFIX.json and PREFIX.md.")
    var out = "out/eval"

    func run() throws {
        let sd = try model.load()
        var options = EditBenchmark.Options()
        options.scenes = scenes
        options.seedBase = seedBase
        options.frames = frames
        options.size = size
        options.steps = steps
        options.guidance = guidance
        let cases = EditBenchmark.cases(options)
        let variants = EditBenchmark.variants(steps: steps, guidance: guidance, hasAdapter: sd.adapter != nil)
        let start = Date()
        let results = try EditBenchmark.run(model: sd, cases: cases, variants: variants, options: options) { line in
            FileHandle.standardError.write(Data((line + "\n").utf8))
        }
        let settings = ["model": sd.identity, "scenes": "\(scenes)", "seed_base": "\(seedBase)", "frames": "\(frames)",
                        "size": "\(size)", "steps": "\(steps)", "guidance": "\(guidance)",
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
        let header = "Edit benchmark: \(scenes) held-out scenes × 4 edits, \(frames) frames at \(size)x\(size), \(steps) DDIM steps, guidance \(guidance) (model \(sd.identity)).\n\n"
        try (header + table.markdown).write(toFile: out + ".md", atomically: true, encoding: .utf8)
        print("wrote \(out).json and \(out).md")
    }
}

import Batch
import Diffusion
import Foundation
import MediaIO
import Models

/// A pipeline file written by hand: `Pipeline.load`, then what `ctxedit run --dry-run` and the runner derive from it
/// without a model: the job list (clips named in the file; folders inside the scratch area), job ids, output paths,
/// fingerprints, the frame-attention sources of every frame, and the sampler's timesteps with the tiny model's
/// scheduler.
///
/// The file sits in `SCRATCH/pipe/`, beside `clips/` (two empty `.mp4` files and a caption); `folder:` inputs are
/// listed only inside the scratch folder and `glob:` patterns only when relative (an absolute pattern could walk the
/// whole disk on every input).
enum PipelineFuzz {
    static func run(_ data: Data, _ context: FuzzContext) throws -> String {
        prepareClips(context)
        let path = context.write(data, to: "pipe/pipeline.yaml")
        let pipeline: Pipeline
        do { pipeline = try Pipeline.load(path) } catch { try requireNamesFile(error, path) }

        try require(!pipeline.edits.isEmpty, "a pipeline without edits was accepted")
        let names = pipeline.edits.map(\.name)
        try require(Set(names).count == names.count, "edit names repeat: \(names)")
        for name in names {
            try require(!name.isEmpty && !name.contains("/") && name != "." && name != "..", "edit name \"\(name)\" is not a file name")
        }
        try require((1...1000).contains(pipeline.sampler.steps), "steps \(pipeline.sampler.steps)")
        do { try pipeline.selection.validate(path: path) } catch {
            throw FuzzInvariantViolation("an accepted pipeline has an invalid frame selection: \(error)")
        }

        var jobs: [Job] = []
        if listable(pipeline.input.source, context) {
            do { jobs = try pipeline.jobs() } catch let error as PipelineError {
                try require(error.description.contains(path), "error does not name the file \(path): \(error)")
            }
        }
        let layout = OutputLayout(folder: pipeline.output.folder)
        var ids: Set<String> = []
        for job in jobs {
            try require(ids.insert(job.id).inserted, "job id \(job.id) repeats")
            try require(!job.clip.id.isEmpty && !job.clip.id.contains("/") && job.clip.id != "." && job.clip.id != "..",
                        "clip id \"\(job.clip.id)\"")
            for format in pipeline.output.formats {
                let out = layout.output(job, format)
                try require(out.hasPrefix(layout.clipFolder(job.clip.id) + "/"), "output \(out) escapes its clip folder")
            }
            _ = job.fingerprint(pipeline: pipeline, model: "model")
            _ = pipeline.editSettings(for: job.edit, cacheFolder: nil)
        }

        // What the editor derives from the settings: which frames each frame attends to, and the timesteps.
        let frames = min(pipeline.selection.count ?? 8, 16)
        for f in 0..<frames {
            let sources = FrameAttention.sourceFrames(f, count: frames, sources: pipeline.sampler.frameAttention)
            try require(!sources.isEmpty && sources.allSatisfy { (0..<frames).contains($0) }, "frame \(f) attends to \(sources)")
        }
        let scheduler = try loadConfig(SchedulerConfig.self, from: context.fixture("pipelines/sd1-tiny/scheduler/scheduler_config.json"))
        _ = try SamplerCheck.run(scheduler, steps: pipeline.sampler.steps)
        return "\(pipeline.shape) pipeline, \(pipeline.edits.count) edit(s), \(jobs.count) job(s)"
    }

    /// Whether listing the input stays inside the scratch folder.
    static func listable(_ source: InputSpec.Source, _ context: FuzzContext) -> Bool {
        switch source {
        case .clips: return true
        case .folder(let folder): return URL(fileURLWithPath: folder).standardizedFileURL.path.hasPrefix(context.scratch + "/")
        case .glob(let pattern):
            return URL(fileURLWithPath: pattern).standardizedFileURL.path.hasPrefix(context.scratch + "/")
                && !pattern.contains("..")
        }
    }

    nonisolated(unsafe) static var prepared = false

    static func prepareClips(_ context: FuzzContext) {
        guard !prepared else { return }
        prepared = true
        _ = context.write(Data(), to: "pipe/clips/a.mp4")
        _ = context.write(Data(), to: "pipe/clips/b clip.mp4")
        _ = context.write(Data("a caption from a sidecar\n".utf8), to: "pipe/clips/a.txt")
    }
}

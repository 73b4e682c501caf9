import ArgumentParser
import Batch
import Diffusion
import Foundation

/// `ctxedit run PIPELINE.yaml`: batch-edit clips as a pipeline file says.
struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Batch-edit clips from a pipeline file (YAML): every clip × every edit is a job.",
        discussion: """
        The file is ctxedit's pipeline schema (see Pipelines/samples.yaml and the README) or a ContextDiff / Tune-A-Video editing config (pretrained_model_path, dataset_config, editing_config; keys ctxedit does not use are listed once).

        Each job writes OUT/CLIP/EDIT.mp4 (and .gif) atomically, then OUT/CLIP/EDIT.manifest.json. Re-running skips complete jobs (resume). A failing job does not stop the others. The run ends with a summary table and writes OUT/index.html, a self-contained gallery.

        Examples:
          ctxedit run Pipelines/samples.yaml --model models/sd15
          ctxedit run Pipelines/samples.yaml --dry-run
          ctxedit run Pipelines/contextdiff-style.yaml --out out/cd --progress json
          ctxedit run big.yaml --shard $SLURM_ARRAY_TASK_ID/$SLURM_ARRAY_TASK_COUNT

        Exit codes:
          0    every selected job is done (now or in an earlier run)
          1    at least one job failed; the others ran
          2    nothing ran: bad pipeline file, no clips, no model, ...
          64   invalid command-line usage
          130  interrupted (Ctrl-C, SIGTERM): run again to resume
        """
    )

    @Argument(help: "The pipeline file.")
    var pipeline: String

    @Flag(help: "List the jobs (and which are already complete) without running anything.")
    var dryRun = false

    @Option(help: ArgumentHelp("Run only shard I of N (0-based, I < N), e.g. 0/4.", valueName: "I/N"))
    var shard: String?

    @Flag(name: .shortAndLong, help: "Print only failures and the summary.")
    var quiet = false

    @Option(help: "Progress: auto (a bar on a terminal, timestamped lines otherwise), bar, plain, or json (one object per line on stdout).")
    var progress: ProgressStyle = .auto

    @Option(help: "Model folder; overrides the pipeline's model.")
    var model: String?

    @Option(help: "Output folder; overrides the pipeline's output folder.")
    var out: String?

    @Flag(help: "Only rebuild the strips and index.html from the results on disk.")
    var indexOnly = false

    func validate() throws {
        if let shard, Shard(parsing: shard) == nil {
            throw ValidationError("--shard \(shard): give I/N with 0 ≤ I < N, e.g. 0/4.")
        }
    }

    func run() throws {
        let interrupt = InterruptFlag.install()
        let reporter = RunProgress(style: progress, quiet: quiet)
        var pipeline: Pipeline
        let all: [Job]
        do {
            pipeline = try Pipeline.load(self.pipeline)
            if let out { pipeline.output.folder = out }
            all = try pipeline.jobs()
        } catch {
            reporter.message("\(error)", kind: "error")
            throw ExitCode(2)
        }
        if !quiet { for note in pipeline.notes { reporter.message(note) } }
        let jobs = shard.flatMap(Shard.init(parsing:)).map { $0.select(all) } ?? all
        let modelPath = try? ModelLocator.resolve(model ?? pipeline.model ?? tunedBase(pipeline))

        if dryRun { return listJobs(jobs, of: all.count, pipeline: pipeline, modelPath: modelPath, reporter: reporter) }
        if indexOnly { return try rebuildIndex(pipeline: pipeline, jobs: all, modelPath: modelPath, reporter: reporter) }

        let resolvedModel: String
        do { resolvedModel = try ModelLocator.resolve(model ?? pipeline.model ?? tunedBase(pipeline)) } catch {
            reporter.message("\(error)", kind: "error")
            throw ExitCode(2)
        }
        var runner = BatchRunner(pipeline: pipeline, modelPath: resolvedModel)
        runner.events = reporter.handle
        runner.shouldStop = { interrupt.isSet }
        let report: RunReport
        do { report = try runner.run(jobs) } catch {
            reporter.message("\(error)", kind: "error")
            throw ExitCode(2)
        }
        var gallery: String?
        if pipeline.output.gallery {
            do { gallery = try Gallery.write(pipeline: pipeline, jobs: all, modelPath: resolvedModel) } catch {
                reporter.message("could not write the gallery: \(error)", kind: "warning")
            }
        }
        let code: Int32 = report.interrupted ? 130 : (report.failed.isEmpty ? 0 : 1)
        reporter.summary(report, exitCode: code, gallery: gallery)
        if code != 0 { throw ExitCode(code) }
    }

    /// The model a pipeline's `tuned:` folder was tuned on (used when neither --model nor `model:` names one).
    func tunedBase(_ pipeline: Pipeline) -> String? {
        pipeline.tuned.flatMap { try? TunedDelta(folder: $0).config.baseModel }
    }

    func listJobs(_ jobs: [Job], of total: Int, pipeline: Pipeline, modelPath: String?, reporter: RunProgress) {
        let runner = BatchRunner(pipeline: pipeline, modelPath: modelPath ?? "")
        let missing = Set(jobs.map(\.clip).filter { !FileManager.default.fileExists(atPath: $0.path) }.map(\.path))
        if progress == .json {
            for job in jobs {
                reporter.emitObject(["event": "job", "job": job.id, "clip": job.clip.path, "caption": job.clip.caption,
                                     "prompt": job.edit.prompt, "complete": runner.isComplete(job)])
            }
            return
        }
        print("pipeline \(pipeline.file) (\(pipeline.shape == .ctxedit ? "ctxedit schema" : "ContextDiff config"))")
        print("model    \(modelPath ?? "(none: pass --model DIR)")")
        print("output   \(pipeline.output.folder) (\(pipeline.output.formats.map(\.rawValue).joined(separator: ", "))\(pipeline.output.strip ? ", strips" : ""))")
        print("frames   \(pipeline.selection.count.map(String.init) ?? "all"), stride \(pipeline.selection.stride), size \(pipeline.selection.size); \(pipeline.sampler.steps) steps, guidance \(pipeline.sampler.guidance)")
        print("\(jobs.count) of \(total) job(s)\(shard.map { " (shard \($0))" } ?? ""):")
        let width = jobs.map(\.id.count).max() ?? 0
        for job in jobs {
            let state = runner.isComplete(job) ? "complete" : (missing.contains(job.clip.path) ? "clip missing" : "to run")
            print("  \(job.id.padding(toLength: width, withPad: " ", startingAt: 0))  \(state.padding(toLength: 12, withPad: " ", startingAt: 0)) \"\(job.edit.prompt)\"")
        }
        for path in missing.sorted() {
            let origin = jobs.first { $0.clip.path == path }?.clip.origin
            reporter.message("\(path) does not exist\(origin.map { " (named at \($0))" } ?? "")", kind: "warning")
        }
    }

    func rebuildIndex(pipeline: Pipeline, jobs: [Job], modelPath: String?, reporter: RunProgress) throws {
        for folder in PipelineStrip.clipFolders(in: pipeline.output.folder) where pipeline.output.strip {
            do { print("wrote \(try PipelineStrip.write(clipFolder: folder).path)") } catch { reporter.message("\(error)", kind: "warning") }
        }
        print("wrote \(try Gallery.write(pipeline: pipeline, jobs: jobs, modelPath: modelPath))")
    }
}

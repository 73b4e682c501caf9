import Diffusion
import Foundation
import MediaIO

/// Runs a pipeline's jobs: clip by clip, each clip read once and inverted once (its edits share the inversion
/// through the inversion cache), each job's outputs written atomically and its manifest last. A failing job is
/// recorded and the run goes on; `shouldStop` (Ctrl-C) is checked between steps and between jobs.
public struct BatchRunner {
    public let pipeline: Pipeline
    /// The model folder (already resolved with `ModelLocator`).
    public let modelPath: String
    public let layout: OutputLayout
    public var events: (RunEvent) -> Void = { _ in }
    public var shouldStop: () -> Bool = { false }
    /// Loads the model the first time a job needs it (never when every job is skipped).
    public var loadModel: (String) throws -> StableDiffusion = { try StableDiffusion.load($0) }

    public init(pipeline: Pipeline, modelPath: String) {
        self.pipeline = pipeline
        self.modelPath = modelPath
        self.layout = OutputLayout(folder: pipeline.output.folder)
        loadModel = { [tuned = pipeline.tuned] in try StableDiffusion.load($0, tuned: tuned) }
    }

    /// What a run carries from clip to clip.
    struct State {
        var editor: VideoEditor?
        var notesSeen: Set<String> = []
        var outcomes: [JobOutcome] = []
        var interrupted = false
    }

    /// Runs `jobs` (a pipeline's jobs or a shard of them). Throws only when nothing can run: the output folder
    /// cannot be created or the model cannot be loaded.
    public func run(_ jobs: [Job]) throws -> RunReport {
        try prepareOutputFolder(jobCount: jobs.count)
        let cache = cacheFolder(unique: UUID().uuidString.prefix(8).lowercased())
        defer { if pipeline.sampler.cache == .off { try? FileManager.default.removeItem(atPath: cache) } }
        var state = State()
        var groups: [[Job]] = []
        for job in jobs {
            if groups.last?.first?.clip.id == job.clip.id { groups[groups.count - 1].append(job) } else { groups.append([job]) }
        }
        for group in groups { try runClip(group, cache: cache, state: &state) }
        return RunReport(outcomes: state.outcomes, interrupted: state.interrupted)
    }

    /// Whether a job's manifest matches its current settings and every output it lists exists.
    public func isComplete(_ job: Job) -> Bool {
        guard let manifest = Manifest.read(layout.manifest(job)),
              manifest.fingerprint == job.fingerprint(pipeline: pipeline, model: modelPath) else { return false }
        let folder = layout.clipFolder(job.clip.id)
        return manifest.outputs.allSatisfy { FileManager.default.fileExists(atPath: (folder as NSString).appendingPathComponent($0)) }
    }

    func runClip(_ group: [Job], cache: String, state: inout State) throws {
        var pending: [Job] = []
        for job in group {
            if isComplete(job) {
                let outputs = pipeline.output.formats.map { layout.output(job, $0) }
                record(JobOutcome(job: job.id, status: .skipped, seconds: 0, outputs: outputs), &state)
                events(.jobSkipped(job))
            } else {
                pending.append(job)
            }
        }
        guard let first = pending.first else {
            if pipeline.output.strip, let clip = group.first, !FileManager.default.fileExists(atPath: layout.strip(clip.clip.id)) {
                writeStrip(clip.clip.id, &state)
            }
            return
        }
        if state.interrupted || shouldStop() { return interruptAll(pending, &state) }
        let clipFolder = layout.clipFolder(first.clip.id)

        // 1. Read the clip once for all its edits (as part of its first job).
        events(.jobStarted(first))
        let start = Date()
        let clip: Clip
        do {
            try Self.createFolder(clipFolder)
            clip = try VideoReader.read(first.clip.path, selection: pipeline.selection)
        } catch {
            let message = first.clip.path == (error as? MediaError)?.path ? "\(error)" : "\(first.clip.path): \(error)"
            for job in pending { fail(job, message: "\(message) [clip from \(job.clip.origin)]", seconds: 0, &state) }
            return
        }
        let readSeconds = Date().timeIntervalSince(start)
        events(.progress(StageProgress(job: first.id, clip: first.clip.id, stage: .read, step: 1, total: 1,
                                       secondsPerStep: readSeconds, meanSecondsPerStep: readSeconds)))
        for warning in clip.warnings { note(warning, &state) }

        // 2. The source at the edited size, for the gallery and the strip.
        for format in pipeline.output.formats {
            do {
                try VideoWriter.write(clip.frames, frameRate: clip.frameRate, to: layout.source(first.clip.id, format),
                                      inputs: [first.clip.path])
            } catch {
                note("could not write the source preview: \(error)", &state)
            }
        }

        // 3. The model, once per run.
        if state.editor == nil { state.editor = VideoEditor(model: try loadModel(modelPath)) }

        // 4. Each edit; the first computes the inversion, the others reuse it from the cache.
        var anyDone = false
        for (i, job) in pending.enumerated() {
            if state.interrupted || shouldStop() { interruptAll(Array(pending[i...]), &state); break }
            let done = runJob(job, clip: clip, readSeconds: i == 0 ? readSeconds : 0, announced: i == 0,
                              cache: cache, state: &state)
            anyDone = anyDone || done
        }

        // 5. The strip: source row, then every finished edit.
        if pipeline.output.strip && anyDone { writeStrip(first.clip.id, &state) }
    }

    func writeStrip(_ clipID: String, _ state: inout State) {
        do { try PipelineStrip.write(clipFolder: layout.clipFolder(clipID)) } catch {
            note("could not write the strip of \(clipID): \(error)", &state)
        }
    }

    func interruptAll(_ jobs: [Job], _ state: inout State) {
        state.interrupted = true
        for job in jobs { record(JobOutcome(job: job.id, status: .interrupted, seconds: 0, outputs: [], error: "not started"), &state) }
    }

    func record(_ outcome: JobOutcome, _ state: inout State) {
        state.outcomes.append(outcome)
        if outcome.status != .skipped { events(.jobFinished(outcome)) }
    }

    func note(_ text: String, _ state: inout State) {
        if state.notesSeen.insert(text).inserted { events(.note(text)) }
    }

    func prepareOutputFolder(jobCount: Int) throws {
        try Self.createFolder(layout.folder)
        let record: [String: Any] = ["ctxedit": ctxeditVersion, "pipeline": pipeline.file, "started": timestamp(), "jobs": jobCount]
        let data = try JSONSerialization.data(withJSONObject: record, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        try AtomicOutput.write(data, to: layout.runRecord)
    }

    /// Creates `path` and its parents. Failures are a `MediaError.writeFailed` naming the folder with the system's
    /// reason ("Read-only file system", "… is a file, not a folder"), not Foundation's NSError text.
    static func createFolder(_ path: String) throws {
        do { try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true) } catch {
            // Foundation's error often lacks the cause (NSCocoaErrorDomain 512): find it component by component.
            var reason = error.localizedDescription
            var prefix = path.hasPrefix("/") ? "" : "."
            for part in path.split(separator: "/") {
                prefix += "/" + part
                var isDir: ObjCBool = false
                if FileManager.default.fileExists(atPath: prefix, isDirectory: &isDir) {
                    if !isDir.boolValue { reason = "\(prefix) is a file, not a folder"; break }
                } else if mkdir(prefix, 0o777) != 0 {
                    reason = String(cString: strerror(errno)); break
                }
            }
            throw MediaError.writeFailed(path: path, reason: reason)
        }
    }

    /// The inversion cache folder; with `cache: false` a private folder removed when the run ends.
    func cacheFolder(unique: String) -> String {
        switch pipeline.sampler.cache {
        case .userCache: return InversionCache.defaultFolder
        case .folder(let path): return path
        case .off: return (layout.folder as NSString).appendingPathComponent(".inversions-\(getpid())-\(unique)")
        }
    }
}

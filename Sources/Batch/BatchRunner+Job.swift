import Diffusion
import Foundation
import MediaIO

extension BatchRunner {
    /// Edits one clip with one prompt, writes its outputs and then its manifest. Returns whether it finished.
    /// `announced`: the clip's first job is announced before the clip is read, and pays the read time.
    func runJob(_ job: Job, clip: Clip, readSeconds: Double, announced: Bool, cache: String, state: inout State) -> Bool {
        if !announced { events(.jobStarted(job)) }
        let start = Date()
        var timings = Manifest.Timings()
        var steps: [RunStage: (count: Int, seconds: Double)] = [:]
        func report(_ stage: RunStage, _ step: Int, _ total: Int, _ seconds: Double) {
            let sofar = steps[stage, default: (0, 0)]
            steps[stage] = (sofar.count + 1, sofar.seconds + seconds)
            events(.progress(StageProgress(job: job.id, clip: job.clip.id, stage: stage, step: step, total: total,
                                           secondsPerStep: seconds, meanSecondsPerStep: (sofar.seconds + seconds) / Double(sofar.count + 1))))
        }
        guard var editor = state.editor else { return false }
        let notesBefore = editor.notes.count
        do {
            // 1. Edit: encode, invert (or reuse the clip's inversion), denoise, decode.
            let settings = pipeline.editSettings(for: job.edit, cacheFolder: cache)
            let results = try editor.edit(clip.batch, sourcePrompt: job.clip.caption, prompts: [job.edit.prompt],
                                          settings: settings) { p in
                switch p.stage {
                case .encodePrompts: report(.encode, 1, 2, p.secondsPerStep)
                case .encodeFrames: report(.encode, 2, 2, p.secondsPerStep)
                case .invert: report(.invert, p.step, p.totalSteps, p.secondsPerStep)
                case .findRegion, .denoise: report(.edit, p.step, p.totalSteps, p.secondsPerStep)
                case .decodeFrames: report(.decode, 1, 1, p.secondsPerStep)
                }
                return !shouldStop()
            }
            state.editor = editor
            // The manifest records a reused inversion; the event stream only carries notes worth reading once.
            for text in editor.notes.dropFirst(notesBefore) where !text.hasPrefix("reused the cached inversion") { note(text, &state) }
            guard let result = results.first else { throw EditError.invalidRequest("the editor returned no result") }

            // 2. Outputs, each atomically.
            let images = result.frames.images
            var written: [String] = []
            for (i, format) in pipeline.output.formats.enumerated() {
                let t = Date()
                let path = layout.output(job, format)
                try VideoWriter.write(images, frameRate: clip.frameRate, to: path, inputs: [job.clip.path])
                written.append(path)
                report(.write, i + 1, pipeline.output.formats.count, Date().timeIntervalSince(t))
            }

            // 3. The manifest, last: its presence marks the job complete.
            func ms(_ seconds: Double) -> Double { (seconds * 1000).rounded() / 1000 }
            timings.read = ms(readSeconds)
            timings.encode = ms(steps[.encode]?.seconds ?? 0)
            timings.invert = ms(steps[.invert]?.seconds ?? 0)
            timings.edit = ms(steps[.edit]?.seconds ?? 0)
            timings.decode = ms(steps[.decode]?.seconds ?? 0)
            timings.write = ms(steps[.write]?.seconds ?? 0)
            timings.total = ms(Date().timeIntervalSince(start) + readSeconds)
            let manifest = makeManifest(job, clip: clip, result: result, outputs: written, timings: timings,
                                        inverted: steps[.invert] != nil, settings: settings,
                                        notes: Array(editor.notes.dropFirst(notesBefore)))
            try AtomicOutput.write(try manifest.encoded(), to: layout.manifest(job))
            try? FileManager.default.removeItem(atPath: layout.failure(job))
            record(JobOutcome(job: job.id, status: .done, seconds: timings.total, outputs: written), &state)
            return true
        } catch EditError.cancelled {
            state.editor = editor
            state.interrupted = true
            record(JobOutcome(job: job.id, status: .interrupted, seconds: Date().timeIntervalSince(start), outputs: [],
                              error: "stopped on request; nothing was written"), &state)
        } catch {
            state.editor = editor
            fail(job, message: "\(error)", seconds: Date().timeIntervalSince(start) + readSeconds, &state)
        }
        return false
    }

    /// Records a failed job and writes `CLIP/EDIT.failed.json` for galleries.
    func fail(_ job: Job, message: String, seconds: Double, _ state: inout State) {
        let failure = FailureRecord(ctxedit: ctxeditVersion, job: job.id, clip: job.clip.path, prompt: job.edit.prompt,
                                    error: message, finished: timestamp())
        do {
            try Self.createFolder(layout.clipFolder(job.clip.id))
            try AtomicOutput.write(try failure.encoded(), to: layout.failure(job))
        } catch {
            note("could not record the failure of \(job.id): \(error)", &state)
        }
        record(JobOutcome(job: job.id, status: .failed, seconds: seconds, outputs: [], error: message), &state)
    }

    func makeManifest(_ job: Job, clip: Clip, result: EditResult, outputs: [String], timings: Manifest.Timings,
                      inverted: Bool, settings: EditSettings, notes: [String]) -> Manifest {
        Manifest(
            ctxedit: ctxeditVersion, job: job.id,
            pipeline: URL(fileURLWithPath: pipeline.file).standardizedFileURL.path,
            model: URL(fileURLWithPath: modelPath).standardizedFileURL.path,
            clip: .init(id: job.clip.id, path: job.clip.path, caption: job.clip.caption, sourceFrames: clip.sourceIndices,
                        width: result.frames.width, height: result.frames.height, frameRate: clip.frameRate),
            edit: .init(name: job.edit.name, index: job.editIndex, prompt: job.edit.prompt, seed: job.edit.seed,
                        guidance: Double(settings.guidance), negativePrompt: settings.negativePrompt),
            sampler: .init(steps: settings.steps, adapter: settings.useAdapter,
                           frameAttention: SamplerSpec.name(settings.frameSources), region: settings.region.name,
                           strength: settings.strength, regionNoise: settings.regionNoise,
                           selection: Job.describe(pipeline.selection)),
            outputs: outputs.map { ($0 as NSString).lastPathComponent },
            inversion: inverted ? "computed" : "reused", timings: timings,
            fingerprint: job.fingerprint(pipeline: pipeline, model: modelPath), finished: timestamp(), notes: notes)
    }
}

import ArgumentParser
import Batch
import Diffusion
import Foundation
import MediaIO
import SafeTensors
import Tensors
import Training

/// `ctxedit tune VIDEO --prompt "caption"`: one-shot tuning on a clip, written as a small delta beside it.
struct TuneCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tune",
        abstract: "One-shot tuning on a clip (ContextDiff's video recipe): train the adapter, the UNet's attention queries and temporal attention on the clip, then edit with --tuned.",
        discussion: """
        The VAE and text encoder stay frozen (the frames' latents and the caption's embedding are computed once). Each step trains on every selected frame with the contextualized loss ‖ε_θ(x_t, c, t) − ε‖², x_t = √ᾱ_t·x₀ + k_t·r_φ(x₀, c, t) + √(1−ᾱ_t)·ε.

        Only what changed is written to OUT (default NAME.tuned/ beside the clip): tuned.json and delta-STEP.safetensors. Ctrl-C saves OUT/checkpoint; run the same command with --resume to continue exactly where it stopped.

        Examples:
          ctxedit tune clip.mp4 --prompt "a red circle moving right" --model models/sd15
          ctxedit tune clip.mp4 --prompt "a jeep on a road" --steps 300 --frames 8 --size 512 --resume
          ctxedit clip.mp4 --prompt "a blue square moving right" --tuned clip.tuned
        """
    )

    @Argument(help: "The clip: MP4, MOV, AVI, WebM, GIF, ... or a folder of numbered frames.")
    var video: String

    @Option(help: "Caption of the clip (default: the sidecar VIDEO.txt).")
    var prompt: String?

    @Option(help: "Optimizer steps in all (with --resume: the total to reach).")
    var steps = 200

    @Option(help: "Learning rate (AdamW, constant); default 1e-4, or the checkpoint's with --resume.")
    var lr: Double?

    @OptionGroup var selection: SelectionOptions

    @Option(help: "A diffusers-layout Stable Diffusion folder (model_index.json, unet/, vae/, text_encoder/, tokenizer/).")
    var model: String?

    @Option(help: "Output folder (default: beside the clip as NAME.tuned/).")
    var out: String?

    @Flag(help: "Continue the run saved in OUT/checkpoint (Ctrl-C or --checkpoint-every saved it).")
    var resume = false

    @Option(help: "Seed of the fresh layers and of each step's timestep and noise.")
    var seed: UInt64 = 0

    @Option(help: "Which frames each frame attends to while training: sparse-causal (first and previous), all, or window:N.")
    var frameAttention = "sparse-causal"

    @Option(help: "Also save a checkpoint every N steps.")
    var checkpointEvery: Int?

    @Flag(help: "Store the delta in fp16 (half the size) instead of fp32.")
    var half = false

    @Flag(help: "Do not add temporal attention to the UNet (only the adapter and attention queries are tuned).")
    var noTemporal = false

    @Flag(help: "Keep activations instead of recomputing them during backward: faster, more memory.")
    var noCheckpointing = false

    @Flag(help: "Keep OUT/checkpoint when tuning completes (to train further later with --resume --steps N).")
    var keepCheckpoint = false

    func validate() throws {
        if steps < 1 { throw ValidationError("--steps \(steps): give at least 1.") }
        if let lr, !(lr > 0 && lr.isFinite) { throw ValidationError("--lr \(lr): give a positive learning rate, e.g. 1e-4.") }
        if let checkpointEvery, checkpointEvery < 1 { throw ValidationError("--checkpoint-every \(checkpointEvery): give at least 1.") }
        if SamplerSpec.frameAttention(parsing: frameAttention) == nil {
            throw ValidationError("--frame-attention \(frameAttention): give sparse-causal, all or window:N.")
        }
    }

    func run() throws {
        let interrupt = InterruptFlag.install()
        Allocator.keepFreedMemory()
        let caption = try prompt ?? EditCommand.sidecarCaption(for: video) ?? ""
        let modelPath: String
        do { modelPath = try ModelLocator.resolve(model) } catch { throw ValidationError("\(error).") }
        let output = out ?? Self.defaultOutput(for: video)
        try AtomicOutput.checkNotInput(output, inputs: [video])
        var settings = TuningSettings()
        settings.learningRate = lr ?? settings.learningRate
        settings.seed = seed
        settings.frameSources = SamplerSpec.frameAttention(parsing: frameAttention) ?? .sparseCausal
        settings.addTemporalAttention = !noTemporal
        settings.gradientCheckpointing = !noCheckpointing
        settings.deltaDType = half ? .f16 : .f32

        // 1. Check the request before decoding anything.
        let frameSelection = try selection.frameSelection(path: video)
        let planned = try frameSelection.plannedOutput(for: try VideoReader.info(video))
        try OneShotTuner.check(caption: caption, frameCount: planned.frames, width: planned.size.width,
                               height: planned.size.height, model: modelPath)

        // 2. Decode the frames; 3. encode them and the caption once (VAE and text encoder frozen).
        let clip = try VideoReader.read(video, selection: frameSelection)
        for warning in clip.warnings { log("warning: \(warning)") }
        log("tuning on \(clip.frames.count) frames at \(clip.frames[0].size) from \(video); caption: \"\(caption)\"")
        let data = try TuningClip.encode(clip.batch, caption: caption, model: modelPath)

        // 4. The trainable parts over the base weights.
        let tuner = try OneShotTuner(clip: data, model: modelPath, settings: settings)
        let count = tuner.trainer.parameters.reduce(0) { $0 + $1.variable.value.count }
        log("training \(tuner.model.layerKinds.joined(separator: ", ")): \(tuner.trainer.parameters.count) tensors, \(count) parameters"
            + (tuner.model.temporalBlocksAdded == 0 ? "" : " (temporal attention added to \(tuner.model.temporalBlocksAdded) transformer blocks)")
            + (tuner.model.adapterFromModel ? "; the adapter starts from the model's" : "; the adapter starts fresh (r = 0)"))
        let checkpoint = OneShotTuner.checkpointFolder(in: output)
        if resume {
            try tuner.resume(from: checkpoint)
            let saved = tuner.trainer.state.optimizer.learningRate
            if let lr, lr != saved { throw ValidationError("--lr \(lr): the checkpoint was trained with \(saved); give that (or no --lr) to continue it.") }
            log("resumed \(checkpoint) at step \(tuner.trainer.state.step)/\(steps) (learning rate \(saved), seed \(tuner.trainer.state.seed))")
            if tuner.trainer.state.step >= steps {
                log("note: the checkpoint is already at step \(tuner.trainer.state.step) ≥ --steps \(steps): writing the delta as it is")
            }
        } else {
            if FileManager.default.fileExists(atPath: checkpoint + "/" + TrainingCheckpoint.stateFileName) {
                log("note: \(checkpoint) holds an unfinished run; starting over (pass --resume to continue it instead)")
            }
            tuner.lossBefore = tuner.evaluationLoss()
            log("denoising loss on the clip before tuning: \(String(format: "%.5f", tuner.lossBefore ?? 0))")
        }
        if interrupt.isSet { throw ExitCode(130) }

        // 5. Train, reporting at most every 2 seconds (and every step that takes longer).
        var lastReport = Date.distantPast
        let completed = try tuner.train(to: steps, checkpointFolder: checkpoint, checkpointEvery: checkpointEvery) { p in
            if p.step == steps || Date().timeIntervalSince(lastReport) >= 2 || interrupt.isSet {
                log(p.description)
                lastReport = Date()
            }
            return !interrupt.isSet
        }
        guard completed else {
            log("interrupted at step \(tuner.trainer.state.step)/\(steps): saved \(checkpoint); run the same command with --resume to continue")
            throw ExitCode(130)
        }

        // 6. Measure, then write the delta (tensors, then tuned.json).
        let after = tuner.evaluationLoss()
        let before = tuner.lossBefore
        log("denoising loss on the clip after tuning: \(String(format: "%.5f", after))"
            + (before.map { String(format: " (before: %.5f, %.2f×)", $0, $0 / max(after, 1e-12)) } ?? ""))
        let config = try tuner.writeDelta(to: output, record: tuner.record(clip: video, lossBefore: before, lossAfter: after))
        if !keepCheckpoint { try? FileManager.default.removeItem(atPath: checkpoint) }
        let size = (try? FileManager.default.attributesOfItem(atPath: output + "/" + config.tensors)[.size] as? NSNumber)?.intValue ?? 0
        print("wrote \(output) (\(config.trainedKeys.count) tensors, \(String(format: "%.1f", Double(size) / 1_048_576)) MiB, \(config.dtype))")
        print("edit with: ctxedit \(video) --prompt \"...\" --tuned \(output)")
    }

    /// `NAME.tuned` beside the clip (a frame folder `NAME/` gives `NAME.tuned`).
    static func defaultOutput(for video: String) -> String {
        var path = video
        while path.count > 1 && path.hasSuffix("/") { path.removeLast() }
        return (path as NSString).deletingPathExtension + ".tuned"
    }
}

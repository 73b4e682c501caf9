import Diffusion
import Foundation
import MediaIO
import Training

/// The benchmark's tuned row: `ctxedit tune` on each held-out scene's source clip, then the edit with the tuned model
/// (as `ctxedit edit --tuned`), so tuned and untuned rows score the same scenes, edits and editor settings.
extension EditBenchmark {
    /// One-shot tuning before a variant's edits (ContextDiff's video recipe: tune on the source clip, then edit it).
    public struct Tuning: Sendable {
        /// The model folder to tune: the one the benchmark's model was loaded from (not a tuned folder).
        public var model: String
        /// Optimizer steps per scene.
        public var steps: Int
        public var settings: TuningSettings

        /// `ctxedit tune`'s settings (AdamW at its learning rate, sparse-causal, temporal attention added, seed 0),
        /// except that activations are kept instead of recomputed: the same steps, faster, and the benchmark's
        /// small frames need little memory.
        public static var defaultSettings: TuningSettings {
            var s = TuningSettings()
            s.gradientCheckpointing = false
            return s
        }

        public init(model: String, steps: Int, settings: TuningSettings = Tuning.defaultSettings) {
            self.model = model
            self.steps = steps
            self.settings = settings
        }

        /// The row's name, e.g. "tuned 20 steps, adapter, sparse-causal".
        public var variantName: String { "tuned \(steps) step\(steps == 1 ? "" : "s"), adapter, sparse-causal" }

        /// The settings for the Markdown header, e.g. "20 steps per scene, AdamW lr 0.0001, weight decay 0.01, seed 0,
        /// sparse-causal, temporal attention added".
        public var summary: String {
            "\(steps) step\(steps == 1 ? "" : "s") per scene, AdamW lr \(settings.learningRate), weight decay "
                + "\(settings.weightDecay), seed \(settings.seed), \(TuningSettings.name(settings.frameSources))"
                + (settings.addTemporalAttention ? ", temporal attention added" : "")
        }
    }

    /// What tuning on one scene gave: the tuned model, and the last step's smoothed training loss.
    struct Tuned {
        var model: StableDiffusion
        var loss: Float
    }

    /// Checks every tuned variant's request before anything runs (`OneShotTuner.check`: captions, at least 2 frames,
    /// a frame size the model can tune at), so a bad request fails before the untuned rows have been computed.
    static func checkTuning(_ variants: [Variant], cases: [Case], options o: Options) throws {
        for tuning in variants.compactMap(\.tuning) {
            for c in cases {
                try OneShotTuner.check(caption: c.source.caption, frameCount: o.frames, width: o.size, height: o.size, model: tuning.model)
            }
        }
    }

    /// Tunes `tuning.model` on `frames` (one scene's source clip, F ≥ 2 frames) under `caption` with the code behind
    /// `ctxedit tune` (`TuningClip.encode`, `OneShotTuner.train`, `writeDelta`), and loads the result as
    /// `ctxedit edit --tuned` does (`StableDiffusion.load(_:tuned:)`). The delta passes through a fresh folder in
    /// the temporary directory, removed before this returns (also on errors).
    static func tune(frames: [RGBImage], caption: String, _ tuning: Tuning) throws -> Tuned {
        let data = try TuningClip.encode(FrameBatch(images: frames, frameRate: 8), caption: caption, model: tuning.model)
        let tuner = try OneShotTuner(clip: data, model: tuning.model, settings: tuning.settings)
        let folder = NSTemporaryDirectory() + "\(temporaryPrefix)\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: folder) }
        var loss: Float = .nan
        _ = try tuner.train(to: tuning.steps, checkpointFolder: OneShotTuner.checkpointFolder(in: folder)) {
            loss = $0.smoothedLoss
            return true
        }
        try tuner.writeDelta(to: folder, record: tuner.record(clip: "ctxedit eval: \(caption)", lossBefore: nil, lossAfter: nil))
        return Tuned(model: try StableDiffusion.load(tuning.model, tuned: folder), loss: loss)
    }

    /// Name prefix of the temporary delta folders.
    static let temporaryPrefix = "ctxedit-eval-tuned-"
}

import Diffusion
import Foundation
import SafeTensors
import Tensors

/// What a tuning run leaves on disk: checkpoints to resume from, and the delta (`TunedDelta`'s layout).
extension OneShotTuner {
    /// The checkpoint folder inside a tuned folder.
    public static func checkpointFolder(in output: String) -> String { output + "/checkpoint" }

    /// Saves the trainable parameters, the optimizer's moments and the step (`TrainingCheckpoint`, atomic).
    /// `lossBefore` goes beside it in `tuning.json`.
    public func saveCheckpoint(to folder: String) throws {
        try trainer.save(to: folder)
        let json = try JSONEncoder().encode(["loss_before": lossBefore])
        try TrainingCheckpoint.writeAtomically(Array(json), to: folder + "/" + Self.extrasFileName)
    }

    static let extrasFileName = "tuning.json"

    /// Continues the run saved in `folder`: parameters, optimizer state, step, seed and learning rate come from the
    /// checkpoint, so the following steps are those the uninterrupted run would have taken, bit for bit. The
    /// checkpoint must have been made on the same clip latents and caption, base model and frame attention.
    public func resume(from folder: String) throws {
        let statePath = folder + "/" + TrainingCheckpoint.stateFileName
        guard let data = FileManager.default.contents(atPath: statePath) else { throw TrainingError.noCheckpoint(folder: folder) }
        let saved: TrainingState
        do { saved = try JSONDecoder().decode(TrainingCheckpoint.StateFile.self, from: data).state } catch {
            throw TrainingError.badCheckpoint(path: statePath, reason: "\(error)")
        }
        let ours = trainer.state.notes
        let checks = [("base", "it was made with another model (or other weights)"),
                      ("caption", "it was made with the caption \"\(saved.notes["caption"] ?? "")\""),
                      ("data", "it was made on other frames (clip, --frames, --stride, --start, --size or --crop differ)"),
                      ("frame_attention", "it was trained with --frame-attention \(saved.notes["frame_attention"] ?? "?")")]
        for (key, reason) in checks where saved.notes[key] != ours[key] {
            throw TuningError.resumeMismatch(checkpoint: folder, reason: reason)
        }
        try trainer.resume(from: folder)
        if let extras = FileManager.default.contents(atPath: folder + "/" + Self.extrasFileName),
           let decoded = try? JSONDecoder().decode([String: Double?].self, from: extras) {
            lossBefore = decoded["loss_before"] ?? nil
        }
    }

    /// The record of this run for `tuned.json`.
    public func record(clip path: String, lossBefore: Double?, lossAfter: Double?) -> TuningRecord {
        let state = trainer.state
        return TuningRecord(clip: path, caption: clip.caption, frames: clip.frameCount, width: clip.width, height: clip.height,
                            frameAttention: TuningSettings.name(settings.frameSources), steps: state.step,
                            learningRate: state.optimizer.learningRate, weightDecay: state.optimizer.weightDecay,
                            maxGradNorm: state.maxGradNorm, seed: state.seed, layers: model.layerKinds,
                            adapterStart: model.adapterFromModel ? "model" : "fresh", lossBefore: lossBefore, lossAfter: lossAfter)
    }

    /// Writes the delta into `folder` (created if needed): the trainable tensors as `delta-STEP.safetensors` in
    /// `settings.deltaDType`, then `tuned.json` naming it, each atomically, then removes older tensor files; a crash
    /// at any point leaves the previous delta or the new one, complete. Returns the config written.
    @discardableResult
    public func writeDelta(to folder: String, record: TuningRecord) throws -> TunedDeltaConfig {
        do { try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true) } catch {
            throw TrainingError.writeFailed(path: folder, reason: error.localizedDescription)
        }
        let name = String(format: "delta-%08d.safetensors", trainer.state.step)
        var writer = SafeTensorsWriter(path: folder + "/" + name,
                                       metadata: ["format": "ctxedit-tuned", "base_model": modelPath, "step": String(trainer.state.step)])
        for (key, v) in trainer.parameters {
            try writer.add(key, shape: v.shape, values: v.value.scalars, dtype: settings.deltaDType)
        }
        try writer.write()
        let config = TunedDeltaConfig(
            baseModel: modelPath, baseFingerprint: baseFingerprint, tensors: name, dtype: settings.deltaDType.rawValue,
            trainedKeys: trainer.parameters.map(\.key).sorted(), addedKeys: model.addedKeys.map { TunedDelta.unetPrefix + $0 },
            adapter: model.adapter.config, training: record)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let json = try encoder.encode(config)
        try TrainingCheckpoint.writeAtomically(Array(json) + [UInt8(ascii: "\n")], to: folder + "/" + TunedDelta.configFileName)
        let others = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        for file in others where file.hasPrefix("delta-") && file.hasSuffix(".safetensors") && file != name {
            try? FileManager.default.removeItem(atPath: folder + "/" + file)
        }
        return config
    }
}

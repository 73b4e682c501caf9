import Diffusion
import Foundation
import Models
import SafeTensors
import Testing
import Tensors
@testable import Training

/// Bad input to one-shot tuning, and bad tuned folders: each a clear, typed error.
@Suite struct TuningErrorTests {
    @Test func emptyCaption() throws {
        #expect(throws: TuningError.emptyCaption) {
            try OneShotTuner.check(caption: "  \n", frameCount: 4, width: 16, height: 16, model: tinyModelPath)
        }
        #expect(throws: TuningError.emptyCaption) { try tinyTuner(caption: "") }
    }

    @Test func tooFewFrames() throws {
        #expect(throws: TuningError.tooFewFrames(count: 1)) {
            try TuningClip.encode(movingSquareClip(frames: 1), caption: "a square", model: tinyModelPath)
        }
        #expect(TuningError.tooFewFrames(count: 1).description.contains("at least 2 frames"))
    }

    /// The tiny model's VAE halves the size and its fresh adapter cuts 2×2 latent patches: sides must be multiples
    /// of 4; the message says so and suggests a size that works.
    @Test func sizeNotAMultipleOfTheVAEFactor() throws {
        #expect(throws: TuningError.badSize(width: 18, height: 16, multiple: 4, vaeFactor: 2, patch: 2)) {
            try OneShotTuner.check(caption: "a square", frameCount: 4, width: 18, height: 16, model: tinyModelPath)
        }
        #expect(TuningError.badSize(width: 18, height: 16, multiple: 4, vaeFactor: 2, patch: 2).description.contains("e.g. 16x16"))
        #expect(throws: TuningError.badSize(width: 14, height: 14, multiple: 4, vaeFactor: 2, patch: 2)) {
            try TuningClip.encode(movingSquareClip(size: 14), caption: "a square", model: tinyModelPath)
        }
    }

    /// A UNet whose weights have no attention layers: nothing to tune.
    @Test func modelWithoutAttentionLayers() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let model = try tinyModelCopy(in: folder, replacing: ["unet"])
        let path = model + "/unet/diffusion_pytorch_model.safetensors"
        let base = try SafeTensorsFile(path: tinyModelPath + "/unet/diffusion_pytorch_model.safetensors")
        var writer = SafeTensorsWriter(path: path)
        for name in base.names where !name.contains("attentions") {
            try writer.add(name, shape: try base.entry(name).shape, values: try base.floats(name))
        }
        try writer.write()
        #expect(throws: TuningError.noAttentionLayers(model: model)) { try tinyTuner(model: model) }
    }

    /// --resume with a checkpoint of another caption (or clip) refuses, naming what differs.
    @Test func resumeOfAnotherRun() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let tuner = try tinyTuner()
        _ = try tuner.train(to: 1, checkpointFolder: folder) { _ in false }
        #expect(throws: TuningError.self) { try tinyTuner(caption: "a green square").resume(from: folder) }
        do {
            try tinyTuner(caption: "a green square").resume(from: folder)
        } catch {
            #expect("\(error)".contains("caption"))
        }
        #expect(throws: TrainingError.noCheckpoint(folder: folder + "/none")) { try tuner.resume(from: folder + "/none") }
    }

    /// Tuned folders: not one, damaged, or used with another model than it was tuned on.
    @Test func badTunedFolders() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        #expect(throws: TunedDeltaError.notTuned(folder: folder)) { try StableDiffusion.load(tinyModelPath, tuned: folder) }

        let tuned = folder + "/x.tuned"
        let tuner = try tinyTuner()
        _ = try tuner.train(to: 1, checkpointFolder: tuned + "/checkpoint")
        let config = try tuner.writeDelta(to: tuned, record: tuner.record(clip: "x", lossBefore: nil, lossAfter: nil))
        #expect(config.baseModel == URL(fileURLWithPath: tinyModelPath).standardizedFileURL.path)

        // Another model (same architecture, other UNet weights).
        let other = try tinyModelCopy(in: folder, replacing: ["unet"])
        let unetPath = other + "/unet/diffusion_pytorch_model.safetensors"
        var bytes = try Data(contentsOf: URL(fileURLWithPath: unetPath))
        bytes[200_000] ^= 0x5A  // inside the first MiB, which the fingerprint reads whole
        try bytes.write(to: URL(fileURLWithPath: unetPath))
        #expect(throws: TunedDeltaError.baseMismatch(folder: tuned, base: config.baseModel, given: other)) {
            try StableDiffusion.load(other, tuned: tuned)
        }
        #expect(throws: TunedDeltaError.baseMissing(folder: tuned, base: folder + "/gone")) {
            try StableDiffusion.load(folder + "/gone", tuned: tuned)
        }

        // A tensor file that does not match tuned.json.
        try SafeTensorsWriter.write(["unet.extra": (shape: [1], values: [0])], to: tuned + "/" + config.tensors)
        #expect(throws: TunedDeltaError.self) { try StableDiffusion.load(tinyModelPath, tuned: tuned) }
    }
}

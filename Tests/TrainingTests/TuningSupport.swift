import Foundation
import MediaIO
import Models
import Tensors
@testable import Training

/// The tiny diffusers pipeline fixture (CLIP width 32, VAE ×2, UNet 16/32, no adapter).
let tinyModelPath = fixtures + "/pipelines/sd1-tiny"

/// A clip of a red square moving right over blue: `frames` frames of `size`×`size`, values in [-1, 1].
func movingSquareClip(frames: Int = 4, size: Int = 16) -> FrameBatch {
    FrameBatch(images: movingSquareImages(frames: frames, size: size), frameRate: 8)
}

func movingSquareImages(frames: Int = 4, size: Int = 16) -> [RGBImage] {
    (0..<frames).map { f -> RGBImage in
        var image = RGBImage(width: size, height: size, fill: (30, 60, 200))
        let side = size * 3 / 8, y0 = size * 5 / 16, x0 = size / 8 + f * size / 8
        for y in y0..<(y0 + side) { for x in x0..<min(size, x0 + side) { image[x, y] = (220, 40, 40) } }
        return image
    }
}

/// Settings for fast tests: no gradient checkpointing, a learning rate a tiny random model moves with.
func fastTuningSettings(learningRate: Double = 1e-3, seed: UInt64 = 3) -> TuningSettings {
    var s = TuningSettings()
    s.learningRate = learningRate
    s.seed = seed
    s.gradientCheckpointing = false
    return s
}

/// A tuner on the 4-frame moving square with the tiny model.
func tinyTuner(_ settings: TuningSettings = fastTuningSettings(), caption: String = "a red square moving right",
               model: String = tinyModelPath) throws -> OneShotTuner {
    let clip = try TuningClip.encode(movingSquareClip(), caption: caption, model: model)
    return try OneShotTuner(clip: clip, model: model, settings: settings)
}

/// A fresh folder under the system temporary directory, removed by the caller.
func temporaryFolder(_ name: String = #function) throws -> String {
    let safe = name.filter { $0.isLetter || $0.isNumber }
    let path = NSTemporaryDirectory() + "ctxedit-tune-\(safe)-\(UUID().uuidString.prefix(8))"
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

/// A copy of the tiny model in `folder` (every component linked, except those `replacing` names, which are copied
/// so the caller can change them).
func tinyModelCopy(in folder: String, replacing: Set<String> = []) throws -> String {
    let fm = FileManager.default
    let model = folder + "/model"
    try fm.createDirectory(atPath: model, withIntermediateDirectories: true)
    for item in try fm.contentsOfDirectory(atPath: tinyModelPath) {
        let (from, to) = (tinyModelPath + "/" + item, model + "/" + item)
        if replacing.contains(item) { try fm.copyItem(atPath: from, toPath: to) } else { try fm.createSymbolicLink(atPath: to, withDestinationPath: from) }
    }
    return model
}

import Foundation
import Models
import SafeTensors
import Tensors
@testable import Training

/// `Tests/Fixtures`, written by `scripts/make_fixtures.py` (committed).
let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("Fixtures").path

/// A tensor from a fixture file.
func fixture(_ file: String, _ name: String) throws -> Tensor {
    let f = try SafeTensorsFile(path: fixtures + "/" + file)
    return Tensor(shape: try f.entry(name).shape, scalars: try f.floats(name))
}

/// The tiny UNet fixture as a trainable model (parameters chosen by `trainable`) and its inputs.
func fixtureUNet(_ folder: String = "unet", trainable: @escaping (String) -> Bool = { _ in true }) throws
    -> (unet: Trainable.UNet2DConditionModel, parameters: Parameters, weights: CheckpointWeights) {
    let config = try loadConfig(UNetConfig.self, from: fixtures + "/\(folder)/config.json")
    let weights = try CheckpointWeights(paths: [fixtures + "/\(folder)/diffusion_pytorch_model.safetensors"])
    let parameters = Parameters()
    let unet = try Trainable.UNet2DConditionModel(ParameterScope(.checkpoint(weights), into: parameters, trainable: trainable),
                                                  config: config)
    try weights.checkAllUsed()
    return (unet, parameters, weights)
}

/// A small random UNet config for training tests: channels [8, 16], one resnet per level, 2 groups, 2 heads,
/// context width 8 (one cross-attention level down, one up, plus the middle).
func miniUNetConfig() -> UNetConfig {
    var c = UNetConfig()
    c.blockOutChannels = [8, 16]
    c.downBlockTypes = ["CrossAttnDownBlock2D", "DownBlock2D"]
    c.upBlockTypes = ["UpBlock2D", "CrossAttnUpBlock2D"]
    c.layersPerBlock = 1
    c.normNumGroups = 4
    c.crossAttentionDim = 8
    c.attentionHeads = [2, 2]
    c.sampleSize = 8
    return c
}

/// Max |a − b| / max |b|: an error relative to the reference tensor's scale.
func relativeError(_ actual: Tensor, _ expected: Tensor) -> Float {
    maxAbsDiff(actual, expected) / Swift.max(maxAbs(expected), 1e-30)
}

import Foundation
import MediaIO
@testable import Diffusion
@testable import Models
@testable import Tensors

/// A tiny Stable Diffusion assembled from the component fixtures (tokenizer, CLIP width 32, VAE ×2, UNet 32/64),
/// optionally with an adapter.
func tinyModel(adapter: TrajectoryAdapter? = nil) throws -> StableDiffusion {
    func weights(_ path: String, ignorable: Set<String> = []) throws -> WeightScope {
        WeightScope(try CheckpointWeights(paths: [fixtures + "/" + path], ignorable: ignorable))
    }
    let clipConfig = try loadConfig(CLIPTextConfig.self, from: fixtures + "/clip_text/config.json")
    let vaeConfig = try loadConfig(AutoencoderConfig.self, from: fixtures + "/vae/config.json")
    let unetConfig = try loadConfig(UNetConfig.self, from: fixtures + "/unet/config.json")
    return StableDiffusion(
        tokenizer: try CLIPTokenizer(folder: fixtures + "/tokenizer"),
        textEncoder: try CLIPTextModel(try weights("clip_text/model.safetensors"), config: clipConfig),
        vae: try AutoencoderKL(try weights("vae/diffusion_pytorch_model.safetensors"), config: vaeConfig),
        unet: try UNet2DConditionModel(try weights("unet/diffusion_pytorch_model.safetensors"), config: unetConfig),
        scheduler: .stableDiffusion15, adapter: adapter, identity: "tiny-fixtures")
}

/// An adapter for the tiny model: fresh initial weights (zero output projection) or random everywhere.
func tinyAdapter(trainedLooking: Bool) throws -> TrajectoryAdapter {
    var config = AdapterConfig()
    config.dim = 16
    config.heads = 2
    config.contextDim = 32
    let weights = trainedLooking ? CheckpointWeights.random(seed: 7, scale: 0.2)
        : CheckpointWeights(tensors: TrajectoryAdapter.initialWeights(config: config, seed: 7))
    return try TrajectoryAdapter(WeightScope(weights), config: config)
}

/// A 4-frame clip of a square moving right, [-1, 1] planes at 16x16.
func movingSquare(frames: Int = 4, size: Int = 16) -> FrameBatch {
    let images = (0..<frames).map { f -> RGBImage in
        var image = RGBImage(width: size, height: size, fill: (30, 60, 200))
        for y in 5..<11 { for x in (2 + f * 2)..<(8 + f * 2) { image[x, y] = (220, 40, 40) } }
        return image
    }
    return FrameBatch(images: images, frameRate: 8)
}

/// A shift that ignores its input: a fixed r.
struct FixedShift: TrajectoryShift {
    let r: Tensor
    func shift(x0: Tensor, context: Tensor, timestep: Int, frameCount: Int) -> Tensor { r }
}

func randomLatent(_ shape: [Int], seed: UInt64) -> Tensor {
    var rng = TorchRandom(seed: seed)
    return Tensor(shape: shape, scalars: rng.normal(count: shape.reduce(1, *)))
}

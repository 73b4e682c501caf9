import Foundation
import SafeTensors
import Testing
@testable import Models
@testable import Tensors

/// Tiny random models against diffusers/transformers outputs. Tolerance 1e-4 max-abs on outputs of order 1
/// (float32 accumulation order differs between OpenBLAS and PyTorch's kernels).
@Suite struct ParityTests {
    func load<M>(_ folder: String, weightsFile: String, _ make: (WeightScope) throws -> M, rename: @escaping (String) -> String = { $0 },
                 ignorable: Set<String> = []) throws -> M {
        let weights = try CheckpointWeights(paths: [fixtures + "/\(folder)/\(weightsFile)"], rename: rename, ignorable: ignorable)
        let model = try make(WeightScope(weights))
        try weights.checkAllUsed()
        return model
    }

    @Test(arguments: ["clip_text", "clip_text_gelu"])
    func clipTextModel(_ folder: String) throws {
        let config = try loadConfig(CLIPTextConfig.self, from: fixtures + "/\(folder)/config.json")
        let model = try load(folder, weightsFile: "model.safetensors", { try CLIPTextModel($0, config: config) },
                             ignorable: CLIPTextModel.bufferKeys)
        let ids = try fixture("\(folder)/io.safetensors", "input_ids_f32")
        let rows = (0..<ids.shape[0]).map { b in (0..<ids.shape[1]).map { Int(ids.scalars[b * ids.shape[1] + $0]) } }
        expectClose(model(rows), try fixture("\(folder)/io.safetensors", "last_hidden_state"), tolerance: 1e-4, folder)
    }

    @Test func autoencoderKL() throws {
        let config = try loadConfig(AutoencoderConfig.self, from: fixtures + "/vae/config.json")
        let vae = try load("vae", weightsFile: "diffusion_pytorch_model.safetensors", { try AutoencoderKL($0, config: config) },
                           rename: LegacyKeys.vae)
        let io = "vae/io.safetensors"
        let (mean, logvar) = vae.encode(try fixture(io, "image"))
        expectClose(mean, try fixture(io, "latent_mean"), tolerance: 1e-4, "posterior mean")
        expectClose(logvar, try fixture(io, "latent_logvar"), tolerance: 1e-4, "posterior logvar")
        expectClose(vae.decode(try fixture(io, "latent")), try fixture(io, "decoded"), tolerance: 1e-4, "decoded")
    }

    @Test func unet2DCondition() throws {
        let config = try loadConfig(UNetConfig.self, from: fixtures + "/unet/config.json")
        let unet = try load("unet", weightsFile: "diffusion_pytorch_model.safetensors", { try UNet2DConditionModel($0, config: config) })
        let io = "unet/io.safetensors"
        let t = try fixture(io, "timesteps").scalars
        expectClose(unet.timeEmbedding(t), try fixture("unet/unet_intermediates.safetensors", "time_embedding"), tolerance: 1e-4, "time embedding")
        let out = unet(try fixture(io, "sample"), timesteps: t, context: try fixture(io, "encoder_hidden_states"))
        expectClose(out, try fixture(io, "output"), tolerance: 1e-4, "UNet output")
    }

    /// `addition_embed_type: "text"`: the pooled text embedding (`add_embedding`) and the output it shifts.
    @Test func unetWithTextTimeEmbedding() throws {
        let config = try loadConfig(UNetConfig.self, from: fixtures + "/unet_text/config.json")
        #expect(config.additionEmbedType == "text" && config.additionEmbedHeads == 4)
        let unet = try load("unet_text", weightsFile: "diffusion_pytorch_model.safetensors", { try UNet2DConditionModel($0, config: config) })
        let io = "unet_text/io.safetensors", intermediates = "unet_text/unet_intermediates.safetensors"
        let t = try fixture(io, "timesteps").scalars, context = try fixture(io, "encoder_hidden_states")
        expectClose(unet.timeEmbedding(t), try fixture(intermediates, "time_embedding"), tolerance: 1e-4, "time embedding")
        let embedding = try #require(unet.textTimeEmbedding)
        let pooled = embedding(context)
        expectClose(pooled, try fixture(intermediates, "add_embedding"), tolerance: 1e-4, "text time embedding")
        let out = unet(try fixture(io, "sample"), timesteps: t, context: context)
        expectClose(out, try fixture(io, "output"), tolerance: 1e-4, "UNet output")
    }
}


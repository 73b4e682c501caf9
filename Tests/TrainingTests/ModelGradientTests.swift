import Foundation
import Testing
import Tensors
@testable import Models
@testable import Training

/// The other trainable models: forward values equal to `Models`' (bit for bit) on the parity fixtures, and all
/// parameter gradients jointly against finite differences (see `GradCheck.runParameters`).
@Suite struct ModelGradientTests {
    @Test func clipTextModel() throws {
        let config = try loadConfig(CLIPTextConfig.self, from: fixtures + "/clip_text/config.json")
        let weights = try CheckpointWeights(paths: [fixtures + "/clip_text/model.safetensors"], ignorable: Models.CLIPTextModel.bufferKeys)
        let parameters = Parameters()
        let model = try Trainable.CLIPTextModel(ParameterScope(.checkpoint(weights), into: parameters), config: config)
        try weights.checkAllUsed()
        let ids = try fixture("clip_text/io.safetensors", "input_ids_f32")
        let rows = (0..<ids.shape[0]).map { b in (0..<ids.shape[1]).map { Int(ids.scalars[b * ids.shape[1] + $0]) } }
        let reference = try Models.CLIPTextModel(WeightScope(weights), config: config)(rows)
        #expect(model(rows).value == reference)
        // Gradients on a short prompt (12 tokens) to keep the check quick.
        let short = rows.map { Array($0.prefix(12)) }
        GradCheck.runParameters("CLIP text model", parameters.trainable.map(\.variable)) { model(short) }
    }

    @Test func autoencoderKL() throws {
        let config = try loadConfig(AutoencoderConfig.self, from: fixtures + "/vae/config.json")
        let weights = try CheckpointWeights(paths: [fixtures + "/vae/diffusion_pytorch_model.safetensors"], rename: LegacyKeys.vae)
        let parameters = Parameters()
        let vae = try Trainable.AutoencoderKL(ParameterScope(.checkpoint(weights), into: parameters), config: config)
        try weights.checkAllUsed()
        let reference = try Models.AutoencoderKL(WeightScope(weights), config: config)
        let image = try fixture("vae/io.safetensors", "image"), latent = try fixture("vae/io.safetensors", "latent")
        let (mean, logvar) = vae.encode(Variable(image))
        let expected = reference.encode(image)
        #expect(mean.value == expected.mean && logvar.value == expected.logvar)
        #expect(vae.decode(Variable(latent)).value == reference.decode(latent))
        // Reconstruction through the whole autoencoder, on one 8×8 crop (batch 1).
        let crop = Variable(image.slice(axis: 0, 0..<1).slice(axis: 2, 0..<8).slice(axis: 3, 0..<8))
        GradCheck.runParameters("AutoencoderKL encode→decode", parameters.trainable.map(\.variable)) {
            let (m, lv) = vae.encode(crop)
            return vae.decode(m + lv * 0.1)
        }
    }

    @Test func trajectoryAdapter() throws {
        var config = AdapterConfig()
        config.dim = 16
        config.heads = 2
        config.contextDim = 32
        let weights = CheckpointWeights.random(seed: 7, scale: 0.2)
        let parameters = Parameters()
        let adapter = try Trainable.TrajectoryAdapter(ParameterScope(.checkpoint(weights), into: parameters), config: config)
        let reference = try Models.TrajectoryAdapter(WeightScope(weights), config: config)
        let x0 = randn([4, 4, 8, 8], seed: 1), context = randn([4, 7, 32], seed: 2)
        let r = adapter(Variable(x0), context: Variable(context), timestep: 400, frameCount: 2)
        #expect(r.value == reference(x0, context: context, timestep: 400, frameCount: 2))
        GradCheck.runParameters("TrajectoryAdapter", parameters.trainable.map(\.variable)) {
            adapter(Variable(x0), context: Variable(context), timestep: 400, frameCount: 2)
        }
        // Fresh adapters start from Models' initial weights: r = 0, but gradients reach proj_out.
        var tensors = Models.TrajectoryAdapter.initialWeights(config: config, seed: 3)
        let fresh = Parameters()
        let initial = try Trainable.TrajectoryAdapter(ParameterScope(.checkpoint(CheckpointWeights(tensors: tensors)), into: fresh),
                                                      config: config)
        let r0 = initial(Variable(x0), context: Variable(context), timestep: 400, frameCount: 2)
        #expect(maxAbs(r0.value) == 0)
        (r0 * Variable(randn(r0.shape, seed: 5))).sum().backward()
        #expect(maxAbs(try #require(fresh["proj_out.weight"]?.grad)) > 0)
        // Input gradients (x0 through patches and neighbours, the prompt through context_proj), four frames, with
        // initial weights and a random proj_out. h = 0.1: the prompt moves the output little next to the output's
        // size, so Float32 rounding of the outputs needs the larger step (the error falls as h grows: 1.4e-2 at
        // h = 3e-3, 3.7e-4 at 0.1, the mark of rounding rather than of a wrong gradient); tolerance 2e-3 here.
        tensors["proj_out.weight"] = randn([16, 16], seed: 9, scale: 0.25)
        let tuned = try Trainable.TrajectoryAdapter(ParameterScope(.checkpoint(CheckpointWeights(tensors: tensors)), into: Parameters()),
                                                    config: config)
        GradCheck.run("TrajectoryAdapter inputs", [x0, context], tolerance: 2e-3, h: 0.1) {
            tuned($0[0], context: $0[1], timestep: 400, frameCount: 4)
        }
    }

    /// The video UNet (cross-frame attention over two frames) against `Models` and finite differences.
    @Test func videoUNet() throws {
        let (unet, parameters, weights) = try fixtureUNet()
        let inference = try Models.UNet2DConditionModel(WeightScope(weights), config: unet.config)
        let io = "unet/io.safetensors"
        let sample = try fixture(io, "sample"), context = try fixture(io, "encoder_hidden_states")
        let t = try fixture(io, "timesteps").scalars
        let frames = FrameAttention.frames(count: 2, sources: .sparseCausal)
        #expect(unet(Variable(sample), timesteps: t, context: Variable(context), frames: frames).value
                == inference(sample, timesteps: t, context: context, frames: frames))
        let small = Variable(sample.slice(axis: 2, 0..<8).slice(axis: 3, 0..<8))
        GradCheck.runParameters("video UNet (fixture weights, 8×8)", parameters.trainable.map(\.variable)) {
            unet(small, timesteps: t, context: Variable(context), frames: frames)
        }
    }

    /// The UNet with `addition_embed_type: "text"` (unet_text fixture): equal to `Models`' forward, and the text
    /// time embedding's parameters and its context input against finite differences.
    @Test func textTimeEmbedding() throws {
        let (unet, parameters, weights) = try fixtureUNet("unet_text")
        let inference = try Models.UNet2DConditionModel(WeightScope(weights), config: unet.config)
        let io = "unet_text/io.safetensors"
        let sample = try fixture(io, "sample"), context = try fixture(io, "encoder_hidden_states")
        let t = try fixture(io, "timesteps").scalars
        #expect(unet(Variable(sample), timesteps: t, context: Variable(context)).value == inference(sample, timesteps: t, context: context))
        let embedding = try #require(unet.textTimeEmbedding)
        let own = parameters.trainable.filter { $0.key.hasPrefix("add_embedding.") }.map(\.variable)
        #expect(own.count == 13)
        GradCheck.runParameters("text time embedding", own) { embedding(Variable(context)) }
        GradCheck.run("text time embedding: context", [context]) { embedding($0[0]) }
    }
}

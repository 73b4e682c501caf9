import Diffusion
import Foundation
import Models
import Tensors

/// A `config.json` from a downloaded model folder. The bytes are read as every config type ctxedit loads
/// (`loadConfig`, as `ModelFolder` does); a config that decodes is then used as the loader uses it: the UNet, VAE
/// and text encoder are built from the tiny fixture weights (`Tests/Fixtures/pipelines/sd1-tiny`) and run once, the
/// adapter is built from made-up weights when it is small, the scheduler sets its timesteps and takes its steps.
/// Any value that decodes but crashes later is a bug in the config's validation.
enum ConfigFuzz {
    static func run(_ data: Data, _ context: FuzzContext) throws -> String {
        let path = context.write(data, to: "config.json")
        var found: [String] = []
        var errors: [Error] = []
        func attempt(_ name: String, _ body: () throws -> String?) throws {
            do {
                if let what = try body() { found.append("\(name) \(what)") }
            } catch let error as FuzzInvariantViolation {
                throw error
            } catch {
                // Each refusal must be clean on its own, even when another config type accepts the bytes.
                if case .unclean(let why) = FuzzTarget.config.classify(error) { throw FuzzInvariantViolation("\(name): \(why)") }
                errors.append(error)
                found.append("\(name) refused (\(String(describing: error).prefix(120)))")
            }
        }
        try attempt("unet") { try unet(try decode(UNetConfig.self, path), context) }
        try attempt("vae") { try vae(try decode(AutoencoderConfig.self, path), context) }
        try attempt("text_encoder") { try textEncoder(try decode(CLIPTextConfig.self, path), context) }
        try attempt("scheduler") { try scheduler(try decode(SchedulerConfig.self, path)) }
        try attempt("adapter") { try adapter(try decode(AdapterConfig.self, path)) }
        try attempt("tokenizer_config") { try tokenizerSettings(data, context) }
        if errors.count == found.count, let first = errors.first { throw first }  // nothing accepted
        return found.joined(separator: "; ")
    }

    /// `loadConfig`, checking that a refusal names the file.
    static func decode<C: Decodable>(_ type: C.Type, _ path: String) throws -> C {
        do { return try loadConfig(C.self, from: path) } catch { try requireNamesFile(error, path) }
    }

    /// Builds a component from the SD-1-shaped tiny weights, else from the SD-2-shaped ones (linear projections,
    /// per-block heads, GELU): a config that matches either gets built and run.
    static func build<M>(_ context: FuzzContext, _ relative: String, ignorable: Set<String> = [],
                         _ make: (WeightScope) throws -> M) throws -> M {
        var firstError: Error?
        for model in ["sd1-tiny", "sd2-tiny"] {
            let path = context.fixture("pipelines/\(model)/" + relative)
            do {
                let weights = try CheckpointWeights(paths: [path], ignorable: ignorable)
                let built = try make(WeightScope(weights))
                try weights.checkAllUsed()
                return built
            } catch let error as ModelError {
                firstError = firstError ?? error
            }
        }
        throw firstError!
    }

    static func unet(_ c: UNetConfig, _ context: FuzzContext) throws -> String? {
        let model = try build(context, "unet/diffusion_pytorch_model.safetensors") { try UNet2DConditionModel($0, config: c) }
        // Two frames of an 8x8 latent (the fixture's sample size), cross-frame attention on.
        let side = 8, n = 2
        let sample = Tensor(shape: [n, c.inChannels, side, side], repeating: 0.1)
        let text = Tensor(shape: [n, 7, c.crossAttentionDim], repeating: 0.05)
        let out = model(sample, timesteps: [Float](repeating: 500, count: n), context: text,
                        frames: .frames(count: n, sources: .sparseCausal))
        try require(out.shape == [n, c.outChannels, side, side], "UNet output \(out.shape)")
        return "built and ran (\(c.blockOutChannels))"
    }

    static func vae(_ c: AutoencoderConfig, _ context: FuzzContext) throws -> String? {
        let model = try build(context, "vae/diffusion_pytorch_model.safetensors") { try AutoencoderKL($0, config: c) }
        let scale = 1 << max(0, c.blockOutChannels.count - 1)
        let side = 2 * scale
        let images = Tensor(shape: [1, c.inChannels, side, side], repeating: 0.2)
        let posterior = model.encode(images)
        try require(posterior.mean.shape == [1, c.latentChannels, side / scale, side / scale], "VAE latents \(posterior.mean.shape)")
        let decoded = model.decode(posterior.mean)
        try require(decoded.shape == [1, c.outChannels, side, side], "VAE output \(decoded.shape)")
        return "built and ran (\(c.blockOutChannels))"
    }

    static func textEncoder(_ c: CLIPTextConfig, _ context: FuzzContext) throws -> String? {
        let model = try build(context, "text_encoder/model.safetensors", ignorable: CLIPTextModel.bufferKeys) {
            try CLIPTextModel($0, config: c)
        }
        let length = min(c.maxPositionEmbeddings, 8)
        guard length > 0 else { return "built (no positions)" }
        let ids = (0..<length).map { $0 % max(1, c.vocabSize) }
        let out = model([ids])
        try require(out.shape == [1, length, c.hiddenSize], "text encoder output \(out.shape)")
        return "built and ran"
    }

    nonisolated(unsafe) static var tinyTextEncoder: CLIPTextModel?

    /// The bytes as `tokenizer/tokenizer_config.json` of a copy of the tiny model's tokenizer: loaded through
    /// `ModelFolder.loadTokenizer` (which checks it against `text_encoder/config.json`), then a prompt is encoded and
    /// run through the tiny text encoder, as `StableDiffusion.encodePrompt` does.
    static func tokenizerSettings(_ data: Data, _ context: FuzzContext) throws -> String? {
        let model = context.scratch + "/model"
        if !FileManager.default.fileExists(atPath: model + "/text_encoder/config.json") {
            let source = context.fixture("pipelines/sd1-tiny")
            for file in ["tokenizer/vocab.json", "tokenizer/merges.txt", "text_encoder/config.json"] {
                _ = context.write(try Data(contentsOf: URL(fileURLWithPath: source + "/" + file)), to: "model/" + file)
            }
        }
        _ = context.write(data, to: "model/tokenizer/tokenizer_config.json")
        let tokenizer = try ModelFolder(path: model).loadTokenizer()
        if tinyTextEncoder == nil {
            let config = try loadConfig(CLIPTextConfig.self, from: model + "/text_encoder/config.json")
            tinyTextEncoder = try build(context, "text_encoder/model.safetensors", ignorable: CLIPTextModel.bufferKeys) {
                try CLIPTextModel($0, config: config)
            }
        }
        let ids = tokenizer.encode("a red circle on a blue background <|endoftext|>!").ids
        let out = tinyTextEncoder!([ids])
        try require(out.shape == [1, tokenizer.maxLength, tinyTextEncoder!.config.hiddenSize], "text encoder output \(out.shape)")
        return "tokenizer settings used (\(tokenizer.maxLength) tokens)"
    }

    static func scheduler(_ c: SchedulerConfig) throws -> String? {
        let steps = [1, 2, 50, 1000]
        var usable: [Int] = []
        for n in steps {
            if try SamplerCheck.run(c, steps: n) { usable.append(n) }
        }
        return "\(c.trainTimesteps) training steps; usable step counts \(usable)"
    }

    static func adapter(_ c: AdapterConfig) throws -> String? {
        // Made-up weights at the config's own sizes: only small adapters (a large one is valid but slow to build).
        guard c.dim <= 256, c.layers <= 4, c.contextDim <= 256, c.latentChannels <= 16, c.patchSize <= 8,
              c.dim >= 0, c.layers >= 0, c.contextDim >= 0, c.latentChannels >= 0 else {
            return "decoded (\(c.dim) wide, not built)"
        }
        let model = try TrajectoryAdapter(WeightScope(CheckpointWeights.random(seed: 1, scale: 0.1)), config: c)
        let side = 2 * c.patchSize, frames = 2
        let x0 = Tensor(shape: [frames, c.latentChannels, side, side], repeating: 0.3)
        let text = Tensor(shape: [frames, 3, c.contextDim], repeating: 0.1)
        let r = model(x0, context: text, timestep: 999, frameCount: frames)
        try require(r.shape == x0.shape, "adapter output \(r.shape)")
        return "built and ran"
    }
}

/// What the editor does with a scheduler config and a step count: set the sampler's and the inversion's
/// timesteps, then step through them (one-element latents). Returns false when the step count is refused with a
/// clean error.
enum SamplerCheck {
    static func run(_ config: SchedulerConfig, steps: Int) throws -> Bool {
        do { try config.checkSteps(steps) } catch let error as EditError {
            try require(!error.description.isEmpty, "empty refusal")
            return false
        }
        var trajectory = ContextualTrajectory(sampler: config.sampler(), inverse: config.inverse())
        trajectory.setTimesteps(steps)
        let x = Tensor(shape: [1, 1, 1, 1], repeating: 0.5), eps = Tensor(shape: [1, 1, 1, 1], repeating: 0.1)
        let none = Tensor(shape: [1, 1, 1])
        var latent = x
        for t in trajectory.inverse.timesteps {
            latent = trajectory.invertStep(modelOutput: eps, timestep: t, sample: latent, shift: nil, source: x, context: none, frameCount: 1)
        }
        for t in trajectory.sampler.timesteps {
            latent = trajectory.step(modelOutput: eps, timestep: t, sample: latent, shift: nil, context: none, frameCount: 1)
        }
        try require(latent.shape == x.shape, "sampler changed the latent's shape")
        return true
    }
}

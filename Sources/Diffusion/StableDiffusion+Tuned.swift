import Foundation
import Models
import SafeTensors
import Tensors

extension StableDiffusion {
    /// Loads the diffusers folder at `path`; with `tuned`, a folder `ctxedit tune` wrote, whose delta is laid over
    /// the base weights before the models are built: its `unet.*` tensors replace the base UNet's (or add layers, the
    /// temporal attention) and its adapter replaces the model's `adapter/`. The model must be the one the delta was
    /// tuned on (`TunedDelta.checkBase`). The identity (inversion cache key) names the delta and its contents.
    public static func load(_ path: String, tuned: String?) throws -> StableDiffusion {
        guard let tuned else { return try load(path) }
        let delta = try TunedDelta(folder: tuned)
        try delta.checkBase(path)
        let parts = try delta.tensors()
        let folder = try ModelFolder(path: path)

        let unetConfig = try loadConfig(UNetConfig.self, from: folder.component("unet") + "/config.json")
        let unetWeights = try CheckpointWeights.overlay(files: try folder.weightFiles("unet", stem: "diffusion_pytorch_model"),
                                                        with: parts.unet, from: delta.tensorPath)
        let unet = try UNet2DConditionModel(WeightScope(unetWeights), config: unetConfig)
        try unetWeights.checkAllUsed()

        var adapter = try folder.loadAdapter()
        if let config = delta.config.adapter {
            let weights = CheckpointWeights(tensors: parts.adapter)
            adapter = try TrajectoryAdapter(WeightScope(weights), config: config)
            try weights.checkAllUsed()
        }

        let schedulerPath = folder.component("scheduler") + "/scheduler_config.json"
        let scheduler = FileManager.default.fileExists(atPath: schedulerPath)
            ? try loadConfig(SchedulerConfig.self, from: schedulerPath) : SchedulerConfig.stableDiffusion15
        let base = URL(fileURLWithPath: path).standardizedFileURL.path
        return StableDiffusion(tokenizer: try folder.loadTokenizer(), textEncoder: try folder.loadTextEncoder(),
                               vae: try folder.loadVAE(), unet: unet, scheduler: scheduler, adapter: adapter,
                               identity: "\(base)+tuned:\(delta.folder)#\(try delta.fingerprint())",
                               parameterCount: try Self.parameterCount(folder))
    }

    /// Elements in the text encoder, VAE and UNet weight files.
    static func parameterCount(_ folder: ModelFolder) throws -> Int {
        var count = 0
        for (component, stem) in [("text_encoder", "model"), ("vae", "diffusion_pytorch_model"), ("unet", "diffusion_pytorch_model")] {
            for file in try folder.weightFiles(component, stem: stem) {
                if let weights = try? SafeTensorsFile(path: file) {
                    count += weights.names.reduce(0) { $0 + ((try? weights.entry($1).elementCount) ?? 0) }
                }
            }
        }
        return count
    }
}

extension CheckpointWeights {
    /// The tensors of `files` with `overlay` laid over them, held in memory (the models copy every tensor out of
    /// its file when built anyway, and share these arrays, so this costs no second copy). An overlay tensor
    /// replaces the base tensor of its key, which must have the same shape, or adds a key the base lacks.
    /// - source: where the overlay came from, for messages.
    public static func overlay(files: [String], with overlay: [String: Tensor], from source: String) throws -> CheckpointWeights {
        var tensors: [String: Tensor] = [:]
        for path in files {
            do {
                let file = try SafeTensorsFile(path: path)
                for name in file.names {
                    let shape = try file.entry(name).shape
                    if let replacement = overlay[name], replacement.shape != shape {
                        throw ModelError.shapeMismatch(file: source, key: name, expected: shape, found: replacement.shape)
                    }
                    if overlay[name] == nil { tensors[name] = Tensor(shape: shape, scalars: try file.floats(name)) }
                }
            } catch let error as SafeTensorsError {
                throw ModelError.unreadableWeights(path: path, reason: error.description)
            }
        }
        tensors.merge(overlay) { _, new in new }
        return CheckpointWeights(tensors: tensors)
    }
}

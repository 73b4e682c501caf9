import Foundation
import Tensors

/// A diffusers-layout Stable Diffusion folder: `model_index.json`, `text_encoder/`, `tokenizer/`, `unet/`, `vae/`,
/// `scheduler/`, each component with its `config.json` and safetensors weights (fp32, or the `fp16` variant,
/// possibly sharded with an `*.safetensors.index.json`).
public struct ModelFolder: Sendable {
    public let path: String

    public init(path: String) throws {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir), isDir.boolValue else {
            throw ModelError.missingFile(path: path, hint: "Give a diffusers-layout model folder (with model_index.json, unet/, vae/, text_encoder/, tokenizer/).")
        }
        self.path = path
    }

    public func component(_ name: String) -> String { (path as NSString).appendingPathComponent(name) }

    /// The safetensors files of a component: `stem.safetensors`, else `stem.fp16.safetensors`, else the shards an
    /// index names. `.bin` / `.ckpt` pickles are refused with a hint.
    public func weightFiles(_ component: String, stem: String) throws -> [String] {
        let dir = self.component(component)
        let fm = FileManager.default
        for name in ["\(stem).safetensors", "\(stem).fp16.safetensors"] where fm.fileExists(atPath: dir + "/" + name) {
            return [dir + "/" + name]
        }
        for name in ["\(stem).safetensors.index.json", "\(stem).safetensors.index.fp16.json"] {
            let indexPath = dir + "/" + name
            guard let data = fm.contents(atPath: indexPath) else { continue }
            guard let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
                  let map = json["weight_map"] as? [String: String] else {
                throw ModelError.badConfig(path: indexPath, reason: "no weight_map object")
            }
            return Set(map.values).sorted().map { dir + "/" + $0 }
        }
        if fm.fileExists(atPath: dir + "/\(stem).bin") {
            throw ModelError.missingFile(path: dir + "/\(stem).safetensors",
                hint: "Only a PyTorch pickle (\(stem).bin) is there; ctxedit reads safetensors only. Convert it once with diffusers (save_pretrained(..., safe_serialization=True)).")
        }
        throw ModelError.missingFile(path: dir + "/\(stem).safetensors", hint: "The \(component) weights are missing.")
    }

    /// The tokenizer, checked against the text encoder it feeds (when `text_encoder/config.json` reads): every id
    /// below its `vocab_size` and at most `max_position_embeddings` tokens, else encoding a prompt would index past
    /// the embedding tables.
    public func loadTokenizer() throws -> CLIPTokenizer {
        let tokenizer = try CLIPTokenizer(folder: component("tokenizer"))
        let encoderConfig = component("text_encoder") + "/config.json"
        guard let config = try? loadConfig(CLIPTextConfig.self, from: encoderConfig) else { return tokenizer }
        if let largest = tokenizer.vocabulary.values.max(), largest >= config.vocabSize || tokenizer.vocabulary.values.contains(where: { $0 < 0 }) {
            throw ModelError.badConfig(path: component("tokenizer") + "/vocab.json",
                reason: "token ids run to \(largest) but the text encoder has vocab_size \(config.vocabSize) (\(encoderConfig)); use the tokenizer that came with these weights")
        }
        guard tokenizer.maxLength <= config.maxPositionEmbeddings else {
            throw ModelError.badConfig(path: component("tokenizer") + "/tokenizer_config.json",
                reason: "model_max_length \(tokenizer.maxLength) is longer than the text encoder's max_position_embeddings \(config.maxPositionEmbeddings) (\(encoderConfig)); set it to \(config.maxPositionEmbeddings)")
        }
        return tokenizer
    }

    public func loadTextEncoder() throws -> CLIPTextModel {
        let config = try loadConfig(CLIPTextConfig.self, from: component("text_encoder") + "/config.json")
        let weights = try CheckpointWeights(paths: try weightFiles("text_encoder", stem: "model"), ignorable: CLIPTextModel.bufferKeys)
        let model = try CLIPTextModel(WeightScope(weights), config: config)
        try weights.checkAllUsed()
        return model
    }

    public func loadVAE() throws -> AutoencoderKL {
        let config = try loadConfig(AutoencoderConfig.self, from: component("vae") + "/config.json")
        let weights = try CheckpointWeights(paths: try weightFiles("vae", stem: "diffusion_pytorch_model"), rename: LegacyKeys.vae)
        let model = try AutoencoderKL(WeightScope(weights), config: config)
        try weights.checkAllUsed()
        return model
    }

    public func loadUNet() throws -> UNet2DConditionModel {
        let config = try loadConfig(UNetConfig.self, from: component("unet") + "/config.json")
        let weights = try CheckpointWeights(paths: try weightFiles("unet", stem: "diffusion_pytorch_model"))
        let model = try UNet2DConditionModel(WeightScope(weights), config: config)
        try weights.checkAllUsed()
        return model
    }

    /// The ContextDiff adapter in `adapter/` (config.json + diffusion_pytorch_model.safetensors), or nil when the
    /// folder has none (the editor then runs plain DDIM).
    public func loadAdapter() throws -> TrajectoryAdapter? {
        let dir = component("adapter")
        guard FileManager.default.fileExists(atPath: dir + "/config.json") else { return nil }
        let config = try loadConfig(AdapterConfig.self, from: dir + "/config.json")
        let weights = try CheckpointWeights(paths: try weightFiles("adapter", stem: "diffusion_pytorch_model"))
        let model = try TrajectoryAdapter(WeightScope(weights), config: config)
        try weights.checkAllUsed()
        return model
    }
}

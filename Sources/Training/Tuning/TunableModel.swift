import Diffusion
import Foundation
import Models
import SafeTensors
import Tensors

/// The parts of a model that one-shot tuning trains, as trainable modules over the base weights:
///
/// - the video UNet with every transformer block's query projections (`attn1.to_q`, `attn2.to_q`) and temporal
///   attention (`norm_temp`, `attn_temp`: the base model's, or created fresh with a zero output projection) trainable,
///   everything else frozen (no gradient storage; gradients still flow through to the adapter);
/// - the trajectory adapter r_φ, every parameter trainable: the model's `adapter/`, or fresh
///   (`Models.TrajectoryAdapter.initialWeights`: zero `proj_out`, so r = 0 before training).
///
/// Trainable parameters are keyed as in the delta file: `unet.KEY`, `adapter.KEY`.
public final class TunableModel {
    public var unet: Trainable.UNet2DConditionModel
    public let adapter: Trainable.TrajectoryAdapter
    public let unetParameters: Parameters
    public let adapterParameters: Parameters
    /// UNet keys that the base model lacks (the temporal attention created for tuning), sorted.
    public let addedKeys: [String]
    /// How many transformer blocks got fresh temporal attention.
    public let temporalBlocksAdded: Int
    /// Whether the adapter started from the model's `adapter/` (else fresh).
    public let adapterFromModel: Bool

    /// Whether a UNet key is tuned: the transformer blocks' query projections and temporal attention.
    public static func isTuned(unetKey key: String) -> Bool {
        key.hasSuffix(".attn1.to_q.weight") || key.hasSuffix(".attn2.to_q.weight")
            || key.contains(".attn_temp.") || key.contains(".norm_temp.")
    }

    /// Builds the trainable UNet and adapter of the model folder at `path`; `settings.seed` seeds every fresh layer
    /// (a fresh adapter is sized for the model's text encoder width and latent channels).
    public init(model path: String, settings: TuningSettings) throws {
        let folder = try ModelFolder(path: path)
        let unetConfig = try loadConfig(UNetConfig.self, from: folder.component("unet") + "/config.json")
        let unetFiles = try folder.weightFiles("unet", stem: "diffusion_pytorch_model")

        // 1. Which transformer blocks there are (each has attn1.to_q, of shape [D, D]), and which lack temporal attention.
        var shapes: [String: [Int]] = [:]
        for path in unetFiles {
            do {
                let file = try SafeTensorsFile(path: path)
                for name in file.names { shapes[name] = try file.entry(name).shape }
            } catch {
                throw ModelError.unreadableWeights(path: path, reason: error.description)
            }
        }
        let blocks = shapes.keys.filter { $0.hasSuffix(".attn1.to_q.weight") }.map { String($0.dropLast(".attn1.to_q.weight".count)) }.sorted()
        guard !blocks.isEmpty else { throw TuningError.noAttentionLayers(model: path) }
        var fresh: [String: Tensor] = [:]
        let lacking = settings.addTemporalAttention ? blocks.filter { shapes[$0 + ".attn_temp.to_q.weight"] == nil } : []
        for block in lacking {
            guard let dim = shapes[block + ".attn1.to_q.weight"]?.first else { continue }
            fresh.merge(Trainable.TemporalAttention.fresh(prefix: block, dim: dim, seed: settings.seed)) { a, _ in a }
        }
        addedKeys = fresh.keys.sorted()
        temporalBlocksAdded = lacking.count

        // 2. The UNet over the base weights plus the fresh layers; only the tuned keys get gradients.
        let weights = try CheckpointWeights.overlay(files: unetFiles, with: fresh, from: "(temporal attention created for tuning)")
        unetParameters = Parameters()
        unet = try Trainable.UNet2DConditionModel(ParameterScope(.checkpoint(weights), into: unetParameters, trainable: Self.isTuned),
                                                  config: unetConfig)
        try weights.checkAllUsed()
        unet.checkpointing = settings.gradientCheckpointing

        // 3. The adapter: the model's, or fresh for this model's text width and latent channels.
        let textConfig = try loadConfig(CLIPTextConfig.self, from: folder.component("text_encoder") + "/config.json")
        let adapterDir = folder.component("adapter")
        let adapterWeights: CheckpointWeights
        var adapterConfig: AdapterConfig
        if FileManager.default.fileExists(atPath: adapterDir + "/config.json") {
            adapterConfig = try loadConfig(AdapterConfig.self, from: adapterDir + "/config.json")
            adapterWeights = try CheckpointWeights(paths: try folder.weightFiles("adapter", stem: "diffusion_pytorch_model"))
            adapterFromModel = true
            guard adapterConfig.contextDim == textConfig.hiddenSize, adapterConfig.latentChannels == unetConfig.inChannels else {
                throw TuningError.adapterMismatch(model: path, reason: "context_dim \(adapterConfig.contextDim) vs the text encoder's width \(textConfig.hiddenSize), latent_channels \(adapterConfig.latentChannels) vs the UNet's \(unetConfig.inChannels)")
            }
        } else {
            adapterConfig = AdapterConfig()
            adapterConfig.contextDim = textConfig.hiddenSize
            adapterConfig.latentChannels = unetConfig.inChannels
            adapterWeights = CheckpointWeights(tensors: TrajectoryAdapter.initialWeights(config: adapterConfig, seed: settings.seed))
            adapterFromModel = false
        }
        adapterParameters = Parameters()
        adapter = try Trainable.TrajectoryAdapter(ParameterScope(.checkpoint(adapterWeights), into: adapterParameters),
                                                  config: adapterConfig)
        try adapterWeights.checkAllUsed()
    }

    /// Every trainable parameter, keyed `unet.KEY` / `adapter.KEY` (UNet first, each in registration order).
    public var trainable: [(key: String, variable: Variable)] {
        unetParameters.trainable.map { (TunedDelta.unetPrefix + $0.key, $0.variable) }
            + adapterParameters.trainable.map { (TunedDelta.adapterPrefix + $0.key, $0.variable) }
    }

    /// What is trained, by kind: `adapter`, `attn1.to_q`, `attn2.to_q`, `temporal`.
    public var layerKinds: [String] {
        let keys = unetParameters.trainable.map(\.key)
        var kinds = ["adapter"]
        if keys.contains(where: { $0.hasSuffix(".attn1.to_q.weight") }) { kinds.append("attn1.to_q") }
        if keys.contains(where: { $0.hasSuffix(".attn2.to_q.weight") }) { kinds.append("attn2.to_q") }
        if keys.contains(where: { $0.contains(".attn_temp.") }) { kinds.append("temporal") }
        return kinds
    }
}

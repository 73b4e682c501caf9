import Foundation
import Models
import SafeTensors
import Tensors

/// A folder written by `ctxedit tune`: what one-shot tuning changed in a model, and nothing else.
///
///     NAME.tuned/
///       tuned.json                  TunedDeltaConfig: the base model (path and weight fingerprint), the keys, settings
///       delta-00000200.safetensors  `unet.KEY` (trained or added UNet tensors), `adapter.KEY` (the whole adapter)
///       checkpoint/                 while training: optimizer state for `--resume` (removed when tuning completes)
///
/// `StableDiffusion.load(_:tuned:)` lays the delta over the base model's weights.
public struct TunedDelta: Sendable {
    public static let configFileName = "tuned.json"
    public static let format = 1
    /// Key prefixes of the two parts in the tensor file.
    public static let unetPrefix = "unet.", adapterPrefix = "adapter."

    /// The folder, absolute.
    public let folder: String
    public let config: TunedDeltaConfig

    /// Reads and checks `folder/tuned.json` (nothing of the tensors yet).
    public init(folder: String) throws(TunedDeltaError) {
        self.folder = URL(fileURLWithPath: folder).standardizedFileURL.path
        let path = self.folder + "/" + Self.configFileName
        guard let data = FileManager.default.contents(atPath: path) else { throw .notTuned(folder: folder) }
        do { config = try JSONDecoder().decode(TunedDeltaConfig.self, from: data) } catch {
            throw .badConfig(path: path, reason: "\(error)")
        }
        guard config.format == Self.format else {
            throw .badConfig(path: path, reason: "format \(config.format); this ctxedit reads format \(Self.format)")
        }
        guard !config.tensors.contains("/"), FileManager.default.fileExists(atPath: tensorPath) else {
            throw .badTensors(path: tensorPath, reason: "the tensor file tuned.json names is missing")
        }
    }

    public var tensorPath: String { folder + "/" + config.tensors }

    /// The delta's tensors by part, keys without their prefix; the file must hold exactly `config.trainedKeys`.
    public func tensors() throws(TunedDeltaError) -> (unet: [String: Tensor], adapter: [String: Tensor]) {
        let path = tensorPath
        do {
            let file = try SafeTensorsFile(path: path)
            guard Set(file.names) == Set(config.trainedKeys) else {
                let extra = Set(file.names).subtracting(config.trainedKeys).sorted().prefix(3)
                let missing = Set(config.trainedKeys).subtracting(file.names).sorted().prefix(3)
                throw TunedDeltaError.badTensors(path: path, reason: "its tensors differ from tuned.json's trained_keys (extra: \(extra.joined(separator: ", ")); missing: \(missing.joined(separator: ", ")))")
            }
            var unet: [String: Tensor] = [:], adapter: [String: Tensor] = [:]
            for name in file.names {
                let value = Tensor(shape: try file.entry(name).shape, scalars: try file.floats(name))
                if name.hasPrefix(Self.unetPrefix) {
                    unet[String(name.dropFirst(Self.unetPrefix.count))] = value
                } else if name.hasPrefix(Self.adapterPrefix) {
                    adapter[String(name.dropFirst(Self.adapterPrefix.count))] = value
                } else {
                    throw TunedDeltaError.badTensors(path: path, reason: "\(name) belongs to no known part (unet., adapter.)")
                }
            }
            if !adapter.isEmpty && config.adapter == nil {
                throw TunedDeltaError.badTensors(path: path, reason: "it holds adapter tensors but tuned.json has no adapter config")
            }
            return (unet, adapter)
        } catch let error as TunedDeltaError {
            throw error
        } catch {
            throw .badTensors(path: path, reason: "\(error)")
        }
    }

    /// The base model to use: `requested` (a `--model` flag) or the folder the delta was tuned on.
    public func baseModel(_ requested: String?) -> String {
        if let requested, !requested.isEmpty { return requested }
        return config.baseModel
    }

    /// Throws unless `modelPath` holds the weights the delta was tuned on (same fingerprint, wherever it lives now).
    public func checkBase(_ modelPath: String) throws {
        guard FileManager.default.fileExists(atPath: modelPath) else {
            throw TunedDeltaError.baseMissing(folder: folder, base: modelPath)
        }
        let found = try WeightFingerprint.model(modelPath)
        guard found == config.baseFingerprint else {
            throw TunedDeltaError.baseMismatch(folder: folder, base: config.baseModel, given: modelPath)
        }
    }

    /// Identifies this delta's contents (for cache keys and job fingerprints): its config and tensor file.
    public func fingerprint() throws -> String {
        try WeightFingerprint.files([folder + "/" + Self.configFileName, tensorPath])
    }
}

/// `tuned.json`.
public struct TunedDeltaConfig: Codable, Equatable, Sendable {
    public var format = TunedDelta.format
    /// The model that was tuned: its folder (absolute, as given then) and `WeightFingerprint.model` of it.
    public var baseModel: String
    public var baseFingerprint: String
    /// The tensor file in the folder.
    public var tensors: String
    /// F32 or F16.
    public var dtype: String
    /// Every tensor in the file (`unet.KEY`, `adapter.KEY`), sorted.
    public var trainedKeys: [String]
    /// Those of `trainedKeys` that are new layers (not in the base model): the temporal attention created for tuning.
    public var addedKeys: [String]
    /// The adapter's config when the delta carries the adapter (then every adapter tensor is in the file).
    public var adapter: AdapterConfig?
    public var training: TuningRecord

    public init(baseModel: String, baseFingerprint: String, tensors: String, dtype: String, trainedKeys: [String],
                addedKeys: [String], adapter: AdapterConfig?, training: TuningRecord) {
        self.baseModel = baseModel
        self.baseFingerprint = baseFingerprint
        self.tensors = tensors
        self.dtype = dtype
        self.trainedKeys = trainedKeys
        self.addedKeys = addedKeys
        self.adapter = adapter
        self.training = training
    }

    enum CodingKeys: String, CodingKey {
        case format, baseModel = "base_model", baseFingerprint = "base_fingerprint", tensors, dtype
        case trainedKeys = "trained_keys", addedKeys = "added_keys", adapter, training
    }
}

/// How a delta was made (kept for the record; loading does not depend on it).
public struct TuningRecord: Codable, Equatable, Sendable {
    public var clip: String
    public var caption: String
    public var frames: Int
    public var width: Int
    public var height: Int
    public var frameAttention: String
    public var steps: Int
    public var learningRate: Double
    public var weightDecay: Double
    public var maxGradNorm: Double?
    public var seed: UInt64
    /// What was trained: `adapter`, `attn1.to_q`, `attn2.to_q`, `temporal`.
    public var layers: [String]
    /// `fresh` (zero output projection) or `model` (the base model's adapter/).
    public var adapterStart: String
    /// Denoising loss on the clip at fixed noise and timesteps, before and after tuning.
    public var lossBefore: Double?
    public var lossAfter: Double?

    public init(clip: String, caption: String, frames: Int, width: Int, height: Int, frameAttention: String, steps: Int,
                learningRate: Double, weightDecay: Double, maxGradNorm: Double?, seed: UInt64, layers: [String],
                adapterStart: String, lossBefore: Double? = nil, lossAfter: Double? = nil) {
        self.clip = clip
        self.caption = caption
        self.frames = frames
        self.width = width
        self.height = height
        self.frameAttention = frameAttention
        self.steps = steps
        self.learningRate = learningRate
        self.weightDecay = weightDecay
        self.maxGradNorm = maxGradNorm
        self.seed = seed
        self.layers = layers
        self.adapterStart = adapterStart
        self.lossBefore = lossBefore
        self.lossAfter = lossAfter
    }

    enum CodingKeys: String, CodingKey {
        case clip, caption, frames, width, height, frameAttention = "frame_attention", steps
        case learningRate = "learning_rate", weightDecay = "weight_decay", maxGradNorm = "max_grad_norm", seed, layers
        case adapterStart = "adapter_start", lossBefore = "loss_before", lossAfter = "loss_after"
    }
}

/// Problems with a tuned folder; each names it and says what to do.
public enum TunedDeltaError: Error, Equatable, CustomStringConvertible, LocalizedError {
    case notTuned(folder: String)
    case badConfig(path: String, reason: String)
    case badTensors(path: String, reason: String)
    /// The base model the delta names (or the `--model` given) is not there.
    case baseMissing(folder: String, base: String)
    /// The model given is not the one the delta was tuned on.
    case baseMismatch(folder: String, base: String, given: String)

    public var description: String {
        switch self {
        case .notTuned(let folder):
            return "\(folder): no \(TunedDelta.configFileName) here, so not a folder written by `ctxedit tune`. Pass the folder tune wrote (NAME.tuned/ beside the clip, or its --out)."
        case .badConfig(let path, let reason):
            return "\(path): unreadable: \(reason). Tune again to rewrite it."
        case .badTensors(let path, let reason):
            return "\(path): \(reason). The tuned folder is damaged; tune again."
        case .baseMissing(let folder, let base):
            return "\(folder) was tuned on the model \(base), which is not there. Pass --model DIR with that model (moved or copied elsewhere)."
        case .baseMismatch(let folder, let base, let given):
            return "\(folder) was tuned on \(base), but \(given) holds other weights. Pass --model with the model it was tuned on, or tune again on this one."
        }
    }

    public var errorDescription: String? { description }
}

/// A cheap identity of weight files: FNV-1a (64 bit) over each file's name, size, first 1 MiB (the safetensors
/// header and the first tensors) and 16 evenly spaced 64 KiB blocks. Reads at most ~2 MiB per file, so a
/// multi-gigabyte model is identified in milliseconds; a different checkpoint of the same architecture differs in
/// its sampled bytes.
public enum WeightFingerprint {
    /// Fingerprint of the files, in the order given, as 16 hex digits.
    public static func files(_ paths: [String]) throws -> String {
        var h: UInt64 = 0xCBF2_9CE4_8422_2325
        func mix<S: Sequence>(_ bytes: S) where S.Element == UInt8 { for b in bytes { h = (h ^ UInt64(b)) &* 0x100_0000_01B3 } }
        for path in paths {
            guard let handle = FileHandle(forReadingAtPath: path) else {
                throw ModelError.missingFile(path: path, hint: "The weights are missing.")
            }
            defer { try? handle.close() }
            let size = (try? handle.seekToEnd()) ?? 0
            mix(((path as NSString).lastPathComponent + " \(size)").utf8)
            var offsets: [UInt64] = [0]
            if size > 1 << 20 { offsets += (0..<16).map { i in (size - (1 << 16)) / 15 * UInt64(i) } }
            for (i, offset) in offsets.enumerated() {
                try handle.seek(toOffset: offset)
                mix(try handle.read(upToCount: i == 0 ? 1 << 20 : 1 << 16) ?? Data())
            }
        }
        return String(format: "%016llx", h)
    }

    /// Fingerprint of a model folder's weights: text encoder, VAE, UNet and (when present) adapter.
    public static func model(_ path: String) throws -> String {
        let folder = try ModelFolder(path: path)
        var paths: [String] = []
        for (component, stem) in [("text_encoder", "model"), ("vae", "diffusion_pytorch_model"), ("unet", "diffusion_pytorch_model")] {
            paths += try folder.weightFiles(component, stem: stem)
        }
        if FileManager.default.fileExists(atPath: folder.component("adapter") + "/config.json") {
            paths += try folder.weightFiles("adapter", stem: "diffusion_pytorch_model")
        }
        return try files(paths)
    }
}

import Diffusion
import Foundation
import MediaIO
import Models

/// A parsed pipeline file: which model, which clips, how to select their frames, how to sample, which edits and
/// where the results go. Paths are resolved against the file's folder (ctxedit's schema) or the current
/// directory (ContextDiff-shaped files, as the research scripts run); nothing here has touched the clips yet.
public struct Pipeline: Sendable, Equatable {
    public enum Shape: String, Sendable {
        /// ctxedit's own schema (`input`, `frames`, `sampler`, `edits`, `output`).
        case ctxedit
        /// A ContextDiff / Tune-A-Video / FateZero editing configuration (`dataset_config`, `editing_config`).
        case contextDiff
    }

    public var file: String
    /// The file name without its extension: the default output folder is `out/NAME`.
    public var name: String
    public var shape: Shape
    /// The model folder the file names, if any (the default model otherwise; see `ModelLocator`).
    public var model: String?
    public var input: InputSpec
    public var selection: FrameSelection
    public var sampler: SamplerSpec
    public var edits: [EditSpec]
    public var output: OutputSpec
    /// Things the user should know that are not errors (keys ctxedit does not use, ...), reported once.
    public var notes: [String] = []
    /// A folder `ctxedit tune` wrote, laid over the model for every job (`tuned:`); without `model`, the model it was
    /// tuned on is used.
    public var tuned: String? = nil
}

/// Where a value came from in a pipeline file, for messages: `Pipelines/x.yaml:12 (edits[1])`.
public struct Origin: Sendable, Equatable, Hashable, Codable, CustomStringConvertible {
    public var file: String
    public var line: Int?
    public var key: String

    public var description: String { "\(file)\(line.map { ":\($0)" } ?? "") (\(key))" }
}

/// Which clips to edit, and their captions.
public struct InputSpec: Sendable, Equatable {
    public enum Source: Sendable, Equatable {
        /// Every clip in a folder (video files and sub-folders of numbered frames), not recursive.
        case folder(String)
        /// A shell pattern (`*`, `?`, `[...]`) over paths.
        case glob(String)
        /// These clips, in this order.
        case clips([ClipSpec])
    }

    public var source: Source
    public var origin: Origin
    /// Caption of clips that give none of their own.
    public var caption: CaptionRule
}

public enum CaptionRule: Sendable, Equatable {
    /// The sidecar `NAME.txt` (or `NAME.EXT.txt`) beside the clip; empty when there is none.
    case sidecar
    /// The same text for every clip.
    case text(String)
}

public struct ClipSpec: Sendable, Equatable {
    public var path: String
    /// The clip's own caption (overrides the sidecar).
    public var caption: String?
    public var origin: Origin
}

/// DDIM sampling settings shared by every edit (guidance and negative prompt can be set per edit).
public struct SamplerSpec: Sendable, Equatable {
    public var steps = 50
    public var guidance = 7.5
    public var negativePrompt = ""
    /// Use the model's ContextDiff adapter when it has one.
    public var adapter = true
    public var frameAttention = FrameAttention.Sources.sparseCausal
    /// What each edit may change (`region: auto`, `auto:0.2` or `whole`).
    public var region = EditSettings().region
    /// How far back each edit starts (`EditSettings.strength`; 1: the whole inversion).
    public var strength = 1.0
    /// Fresh noise inside each edit's region (`EditSettings.regionNoise`; 0: the inversion as it is).
    public var regionNoise = 0.0
    public var cache = CacheRule.userCache

    public init() {}

    public enum CacheRule: Sendable, Equatable {
        /// `~/.cache/ctxedit/inversions` (`InversionCache.defaultFolder`).
        case userCache
        case folder(String)
        /// Nothing kept after the run (edits of one clip still share one inversion during it).
        case off
    }

    /// `sparse-causal`, `all`, `window:N`.
    public static func frameAttention(parsing text: String) -> FrameAttention.Sources? {
        switch text {
        case "sparse-causal": return .sparseCausal
        case "all": return .all
        default:
            guard text.hasPrefix("window:"), let r = Int(text.dropFirst(7)), r >= 0 else { return nil }
            return .window(radius: r)
        }
    }

    public static func name(_ sources: FrameAttention.Sources) -> String {
        switch sources {
        case .sparseCausal: return "sparse-causal"
        case .all: return "all"
        case .window(let r): return "window:\(r)"
        }
    }
}

/// One edit applied to every clip.
public struct EditSpec: Sendable, Equatable {
    /// File-name-safe name: outputs are `CLIP/NAME.mp4`.
    public var name: String
    public var prompt: String
    /// Recorded in the manifest. The DDIM edit is deterministic (it starts from the inverted latent), so the seed
    /// does not change its result; it is kept for reproducibility and for stochastic samplers.
    public var seed: UInt64 = 0
    /// Overrides the sampler's guidance for this edit.
    public var guidance: Double?
    public var negativePrompt: String?
    public var origin: Origin
}

public enum OutputFormat: String, Sendable, Equatable, CaseIterable, Codable {
    case mp4, gif
}

public struct OutputSpec: Sendable, Equatable {
    public var folder: String
    public var formats: [OutputFormat] = [.mp4]
    /// A PNG strip per clip: source row, then one row per edit.
    public var strip = true
    /// `index.html` in the output folder.
    public var gallery = true
}

extension Pipeline {
    /// The sampler settings of one edit, as the editor takes them.
    public func editSettings(for edit: EditSpec, cacheFolder: String?) -> EditSettings {
        var s = EditSettings()
        s.steps = sampler.steps
        s.guidance = Float(edit.guidance ?? sampler.guidance)
        s.negativePrompt = edit.negativePrompt ?? sampler.negativePrompt
        s.useAdapter = sampler.adapter
        s.frameSources = sampler.frameAttention
        s.region = sampler.region
        s.strength = sampler.strength
        s.regionNoise = sampler.regionNoise
        s.cacheFolder = cacheFolder
        return s
    }
}

import ArgumentParser
import Batch
import Diffusion
import Foundation
import MediaIO

/// `--model`: a diffusers-layout folder; `--tuned`: a delta `ctxedit tune` wrote, laid over it.
struct ModelOptions: ParsableArguments {
    @Option(help: "A diffusers-layout Stable Diffusion folder (model_index.json, unet/, vae/, text_encoder/, tokenizer/).")
    var model: String?

    @Option(help: "A folder `ctxedit tune` wrote (NAME.tuned): use the tuned model. Its base model is the one it was tuned on unless --model is given.")
    var tuned: String?

    func load() throws -> StableDiffusion {
        if let tuned { return try StableDiffusion.load(try TunedDelta(folder: tuned).baseModel(model), tuned: tuned) }
        let path: String
        do { path = try ModelLocator.resolve(model) } catch { throw ValidationError("\(error).") }
        return try StableDiffusion.load(path)
    }

    /// The caption the clip was tuned under (the natural source caption of an edit with `--tuned`).
    func tunedCaption() throws -> String? {
        try tuned.map { try TunedDelta(folder: $0).config.training.caption }
    }
}

/// Frame selection flags shared by the editing commands.
struct SelectionOptions: ParsableArguments {
    @Option(help: "How many frames to edit.")
    var frames = 8

    @Option(help: "Take every k-th frame.")
    var stride = 1

    @Option(help: "First frame: an index (12) or seconds (1.5s).")
    var start = "0"

    @Option(help: "Size: short side (512) or WxH; multiples of 8, center-cropped when the aspect changes.")
    var size = "512"

    @Option(help: "Crop before resizing: WxH+X+Y, or margins L,T,R,B.")
    var crop: String?

    func frameSelection(path: String) throws -> FrameSelection {
        let first: FrameSelection.Start
        if start.hasSuffix("s"), let seconds = Double(start.dropLast()) {
            first = .seconds(seconds)
        } else if let index = Int(start) {
            first = .frame(index)
        } else {
            throw ValidationError("--start \(start): give a frame index (12) or seconds (1.5s).")
        }
        guard let target = SizeTarget(parsing: size) else { throw ValidationError("--size \(size): give 512 or WxH.") }
        var box: CropBox?
        if let crop {
            guard let parsed = CropBox(parsing: crop) else { throw ValidationError("--crop \(crop): give WxH+X+Y or L,T,R,B.") }
            box = parsed
        }
        return FrameSelection(count: frames, stride: stride, start: first, crop: box, size: target)
    }
}

/// Sampler flags of `edit` and `generate`.
struct SamplingOptions: ParsableArguments {
    @Option(help: "DDIM steps.")
    var steps = 50

    @Option(help: "Classifier-free guidance scale (1 disables guidance).")
    var guidance: Float = 7.5

    @Option(help: "What the result should not show.")
    var negativePrompt = ""

    @Option(help: "Use the model's ContextDiff adapter: on or off.")
    var adapter = "on"

    func settings() throws -> EditSettings {
        var s = EditSettings()
        guard steps > 0 && steps <= 1000 else { throw ValidationError("--steps \(steps): give 1 to 1000.") }
        s.steps = steps
        s.guidance = guidance
        s.negativePrompt = negativePrompt
        switch adapter {
        case "on": s.useAdapter = true
        case "off": s.useAdapter = false
        default: throw ValidationError("--adapter \(adapter): give on or off.")
        }
        return s
    }
}

/// Flags only a video edit reads: the adapter's x₀, the edit region, frame attention, the inversion cache.
struct VideoEditOptions: ParsableArguments {
    @Option(help: "Where the adapter reads x₀ while an edit denoises: source (the clip's latents, as the inversion did) or estimate (each step's x̂₀, as in text-to-image).")
    var adapterReads = "source"

    @Option(help: "What the edit may change: auto (only where the source caption and the prompt disagree, DiffEdit-style; the rest stays the source), auto:T (threshold T in (0,1), default 0.5; lower edits more), or whole (every pixel, for style and whole-scene edits).")
    var region = "auto"

    @Option(help: "Which frames each frame attends to: sparse-causal (first and previous), all, or window:N.")
    var frameAttention = "sparse-causal"

    @Option(help: "How far back the edit starts, in (0, 1]: 1 inverts all --steps to noise (ContextDiff); lower inverts only that share of them and keeps more of the clip's layout (SDEdit's strength), in fewer steps.")
    var strength = 1.0

    @Option(name: .customLong("region-noise"), help: "Fresh noise inside the edit region, in [0, 1]: 0 starts from the inversion (ContextDiff), higher loosens the source's outline there so a shape edit can leave it, 1 redraws the region. Needs --region auto.")
    var regionNoise = 0.0

    @Option(help: "Folder for cached inversions (default ~/.cache/ctxedit/inversions).")
    var cacheDir: String?

    @Flag(help: "Do not read or write the inversion cache.")
    var noCache = false

    /// Checked before the model loads: the strength and the region.
    func validate() throws {
        guard EditSettings.isValidStrength(strength) else {
            throw ValidationError("--strength \(strength): give a number in (0, 1], e.g. 0.7 (1 inverts all the way).")
        }
        guard let parsedRegion = EditRegion(parsing: region) else { throw ValidationError("--region \(region): give \(EditRegion.accepted).") }
        try Self.checkRegionNoise(regionNoise, region: parsedRegion)
    }

    /// `--region-noise ρ` with `--region`: 0 ≤ ρ ≤ 1, and none with the whole frame (shared with `ctxedit eval`).
    static func checkRegionNoise(_ rho: Double, region: EditRegion) throws {
        guard EditSettings.isValidRegionNoise(rho) else {
            throw ValidationError("--region-noise \(rho): give a number in [0, 1], e.g. 0.5 (0 keeps the inversion).")
        }
        if rho > 0, region == .whole {
            throw ValidationError("--region-noise \(rho) loosens the edit region, and --region whole has none (it would redraw the whole clip); use --region auto, or leave --region-noise out.")
        }
    }

    /// `sampling`'s settings with these flags applied.
    func settings(_ sampling: SamplingOptions) throws -> EditSettings {
        var s = try sampling.settings()
        switch adapterReads {
        case "source": s.shiftFromSource = true
        case "estimate": s.shiftFromSource = false
        default: throw ValidationError("--adapter-reads \(adapterReads): give source or estimate.")
        }
        guard let parsed = EditRegion(parsing: region) else {
            throw ValidationError("--region \(region): give \(EditRegion.accepted).")
        }
        s.region = parsed
        switch frameAttention {
        case "sparse-causal": s.frameSources = .sparseCausal
        case "all": s.frameSources = .all
        default:
            guard frameAttention.hasPrefix("window:"), let r = Int(frameAttention.dropFirst(7)), r >= 0 else {
                throw ValidationError("--frame-attention \(frameAttention): give sparse-causal, all or window:N.")
            }
            s.frameSources = .window(radius: r)
        }
        try validate()
        s.strength = strength
        s.regionNoise = regionNoise
        s.cacheFolder = noCache ? nil : (cacheDir ?? InversionCache.defaultFolder)
        return s
    }
}

/// Progress lines on stderr; Ctrl-C stops at the next step.
enum ProgressPrinter {
    static func handler(interrupt: InterruptFlag) -> ProgressHandler {
        return { p in
            log(p.description)
            if interrupt.isSet { log("interrupted: stopping; nothing partial is written"); return false }
            return true
        }
    }
}

func log(_ line: String) {
    FileHandle.standardError.write(Data((line + "\n").utf8))
}

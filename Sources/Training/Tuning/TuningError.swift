import Foundation

/// Requests one-shot tuning cannot carry out; each says what to change.
public enum TuningError: Error, Equatable, CustomStringConvertible, LocalizedError {
    /// The caption of the clip is empty (tuning learns the clip *under its caption*).
    case emptyCaption
    /// Fewer than 2 frames: nothing for cross-frame and temporal attention to learn.
    case tooFewFrames(count: Int)
    /// The UNet has no attention layers (`attn1.to_q`) to tune.
    case noAttentionLayers(model: String)
    /// A frame side is not a multiple of what the model needs (the VAE's factor times the adapter's patch size).
    case badSize(width: Int, height: Int, multiple: Int, vaeFactor: Int, patch: Int)
    /// The model's `adapter/config.json` does not fit its text encoder or UNet.
    case adapterMismatch(model: String, reason: String)
    /// `--resume` found a checkpoint made for another clip, caption, model or settings.
    case resumeMismatch(checkpoint: String, reason: String)

    public var description: String {
        switch self {
        case .emptyCaption:
            return "the caption is empty: give --prompt \"what the clip shows\" (the caption tuning learns the clip under, and the source caption of later edits)."
        case .tooFewFrames(let count):
            return "\(count == 0 ? "no frames" : "only \(count) frame") selected: tuning needs at least 2 frames (cross-frame and temporal attention learn how frames relate). Select more with --frames, --stride or --start."
        case .noAttentionLayers(let model):
            return "\(model): the UNet has no attention layers (no attn1.to_q in any transformer block), so there is nothing for one-shot tuning to tune. Use a Stable-Diffusion-architecture model with cross-attention blocks."
        case .badSize(let w, let h, let m, let factor, let patch):
            let suggestion = "\(Swift.max(m, w / m * m))x\(Swift.max(m, h / m * m))"
            return "frame size \(w)x\(h): both sides must be multiples of \(m) (the VAE's factor \(factor) × the adapter's patch size \(patch)). Choose another --size, e.g. \(suggestion)."
        case .adapterMismatch(let model, let reason):
            return "\(model)/adapter/config.json does not match the model: \(reason). Fix the adapter config, or remove adapter/ to tune a fresh adapter."
        case .resumeMismatch(let checkpoint, let reason):
            return "\(checkpoint): \(reason). --resume continues the same run: give the same clip, frames, size, caption and model, or start again without --resume."
        }
    }

    public var errorDescription: String? { description }
}

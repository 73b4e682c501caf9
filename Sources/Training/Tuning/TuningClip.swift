import Diffusion
import Foundation
import MediaIO
import Models
import Tensors

/// The frozen inputs of one-shot tuning, computed once: the clip's latents and its caption's hidden states. The VAE
/// and the text encoder are loaded for this and released before training starts.
public struct TuningClip {
    /// x₀: [F, C, h, w], the VAE posterior mean × `scaling_factor` of each frame (as the editor encodes frames).
    public let latents: Tensor
    /// c: [1, S, D], the caption's last hidden state.
    public let context: Tensor
    public let caption: String
    /// Frame size in pixels.
    public let width: Int, height: Int

    public var frameCount: Int { latents.shape[0] }

    public init(latents: Tensor, context: Tensor, caption: String, width: Int, height: Int) {
        self.latents = latents
        self.context = context
        self.caption = caption
        self.width = width
        self.height = height
    }

    /// Checks the request (`OneShotTuner.check`), then encodes `frames` ([F, 3, H, W] in [-1, 1]) with the model's
    /// VAE, `vaeChunk` frames at a time, and `caption` with its text encoder.
    public static func encode(_ frames: FrameBatch, caption: String, model path: String, vaeChunk: Int = 2) throws -> TuningClip {
        try OneShotTuner.check(caption: caption, frameCount: frames.frameCount, width: frames.width, height: frames.height, model: path)
        let folder = try ModelFolder(path: path)
        // 1. Encode the caption → [1, S, D].
        let context = try folder.loadTextEncoder()([folder.loadTokenizer().encode(caption).ids])
        // 2. Encode the frames → [F, C, H/f, W/f].
        let vae = try folder.loadVAE()
        let images = Tensor(shape: [frames.frameCount, 3, frames.height, frames.width], scalars: frames.values)
        let parts = stride(from: 0, to: frames.frameCount, by: vaeChunk).map { start in
            vae.encode(images.slice(axis: 0, start..<min(frames.frameCount, start + vaeChunk))).mean * vae.config.scalingFactor
        }
        return TuningClip(latents: Tensor.concat(parts, axis: 0), context: context, caption: caption,
                          width: frames.width, height: frames.height)
    }

    /// FNV-1a (64 bit) over the bits of the latents and the context: a resumed run must train on the same data.
    public var fingerprint: String {
        var h: UInt64 = 0xCBF2_9CE4_8422_2325
        for tensor in [latents, context] {
            for d in tensor.shape { h = (h ^ UInt64(d)) &* 0x100_0000_01B3 }
            for x in tensor.scalars { h = (h ^ UInt64(x.bitPattern)) &* 0x100_0000_01B3 }
        }
        return String(format: "%016llx", h)
    }
}

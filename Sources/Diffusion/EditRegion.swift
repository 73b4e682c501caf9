import Models
import Tensors

/// Which part of the clip an edit may change.
public enum EditRegion: Sendable, Equatable {
    /// Every pixel follows the edit prompt (ContextDiff's own editing; right for style and whole-scene edits).
    case whole
    /// Only where the two captions disagree (`EditMask.estimate`); everything else is taken from the source's
    /// inversion trajectory at every step, so it comes back as the VAE reconstruction of the source.
    /// `threshold` in (0, 1): how far from the clip's median disagreement to its peak a latent pixel must be to be
    /// edited (lower edits more).
    case auto(threshold: Float)

    /// `auto`'s threshold. On `make eval` (`--tune-steps 0`) with the current default model and the paste-back,
    /// 0.5 against 0.35 and 0.25: aligned 0.38 / 0.37 / 0.36, PSNR against the perfect edit 19.1 / 18.2 / 17.8 dB,
    /// unchanged-region MAE 7.8 / 11.1 / 13.8, flicker 1.16 / 1.72 / 1.93. (With the previous model 0.35 beat Otsu's
    /// per-clip threshold: aligned 0.15 vs 0.11.)
    public static let defaultThreshold: Float = 0.5

    /// What `init(parsing:)` takes, for error messages.
    public static let accepted = "auto, auto:T with 0 < T < 1, or whole"

    /// `whole`, `auto`, `auto:0.4`.
    public init?(parsing text: String) {
        if text == "whole" { self = .whole; return }
        if text == "auto" { self = .auto(threshold: Self.defaultThreshold); return }
        guard text.hasPrefix("auto:"), let t = Float(text.dropFirst(5)), t > 0, t < 1 else { return nil }
        self = .auto(threshold: t)
    }

    public var name: String {
        switch self {
        case .whole: return "whole"
        case .auto(let t): return t == Self.defaultThreshold ? "auto" : "auto:\(t)"
        }
    }
}

/// The latent pixels an edit changes, found as in DiffEdit (Couairon et al. 2022, §3.1): where the denoiser's
/// predictions under the source caption and under the edit prompt differ on the same noisy latents. DiffEdit noises
/// x₀ with fresh ε at strength 0.5 and averages over draws; here the noisy latents are the clip's own inversion at
/// 10 and 20% of the trajectory (no extra randomness, and already on the contextualized trajectory). Low noise
/// because that is where the prediction still depends on where the object is: with the default model, at 50% and
/// above the two captions disagree almost uniformly over the frame (the map's median is 0.7 of its peak at 50%,
/// 0.9 at 90%), while at 10–20% the peak sits on the object and the median is 0.45 of it. A partial inversion
/// (`EditSettings.strength` below 0.2) has not reached those levels: its noisiest latent stands in for them (one
/// pass when both fall there).
public struct EditMask: Sendable {
    /// [F, 1, h, w]; 1 where the edit may change the latent, 0 where the source is kept.
    public let mask: Tensor

    public init(mask: Tensor) { self.mask = mask }

    /// Fraction of latent pixels the edit may change.
    public var coverage: Float { mask.scalars.reduce(0, +) / Float(max(mask.scalars.count, 1)) }

    /// Fractions of the inversion at which the two captions are compared.
    static let levels: [Double] = [0.1, 0.2]

    /// - inverted: the inversion's latents, inverted[0] = x₀ [F, C, h, w], inverted[i] at `timesteps[i − 1]`.
    /// - sourceContext, editContext: [1, S, D].
    /// The disagreement D = Σ_levels Σ_channels |ε̂(x_t, c_edit) − ε̂(x_t, c_source)| is smoothed with a 3x3 box and
    /// rescaled between the clip's median (a caption moves the whole prediction a little; the median is that
    /// everywhere-part) and its peak, as DiffEdit rescales to [0, 1] after removing outliers; pixels at or above
    /// `threshold` are edited, grown by one latent pixel so the new object has room. An edit of more than half the
    /// frame (a new background) is therefore not found: use `EditRegion.whole` for it. Identical predictions give
    /// an empty mask (nothing to edit).
    /// `each(done, total)` runs after each level's UNet pass (progress and cancellation).
    static func estimate(predictor: NoisePredictor, inverted: [Tensor], timesteps: [Int], sourceContext: Tensor,
                         editContext: Tensor, frames: FrameAttention, threshold: Float,
                         each: (Int, Int) throws -> Void = { _, _ in }) rethrows -> EditMask {
        let x0 = inverted[0]
        let f = x0.shape[0], c = x0.shape[1], h = x0.shape[2], w = x0.shape[3]
        let contexts = Tensor.concat([sourceContext.repeated(f), editContext.repeated(f)], axis: 0)
        var disagreement = [Float](repeating: 0, count: f * h * w)
        // Levels of the full trajectory, within what a partial inversion (`EditSettings.strength`) reached.
        let picks = Set(levels.map { min(max(Int(($0 * Double(timesteps.count)).rounded()), 1), timesteps.count, inverted.count - 1) })
        for (done, i) in picks.sorted().enumerated() {
            let x = inverted[i]
            let out = predictor.predictNoise(Tensor.concat([x, x], axis: 0),
                                             timesteps: Array(repeating: Float(timesteps[i - 1]), count: 2 * f),
                                             context: contexts, frames: frames)
            let half = f * c * h * w
            for n in 0..<f {
                for ch in 0..<c {
                    for p in 0..<(h * w) {
                        let a = (n * c + ch) * h * w + p
                        disagreement[n * h * w + p] += abs(out.scalars[half + a] - out.scalars[a])
                    }
                }
            }
            try each(done + 1, picks.count)
        }
        let smooth = boxBlur(disagreement, frames: f, height: h, width: w)
        let median = smooth.sorted()[smooth.count / 2], peak = smooth.max() ?? 0
        var mask = [Float](repeating: 0, count: f * h * w)
        if peak - median > 1e-6 {
            for i in mask.indices where smooth[i] - median >= threshold * (peak - median) { mask[i] = 1 }
            mask = grown(mask, frames: f, height: h, width: w)
        }
        return EditMask(mask: Tensor(shape: [f, 1, h, w], scalars: mask))
    }

    /// Mean over each pixel's (2r+1)×(2r+1) neighbourhood, 3x3 by default (edges use the neighbours that exist).
    static func boxBlur(_ x: [Float], frames: Int, height h: Int, width w: Int, radius r: Int = 1) -> [Float] {
        var out = [Float](repeating: 0, count: x.count)
        for n in 0..<frames {
            for y in 0..<h {
                for xx in 0..<w {
                    var sum: Float = 0, count: Float = 0
                    for dy in -r...r where (0..<h).contains(y + dy) {
                        for dx in -r...r where (0..<w).contains(xx + dx) {
                            sum += x[(n * h + y + dy) * w + xx + dx]
                            count += 1
                        }
                    }
                    out[(n * h + y) * w + xx] = sum / count
                }
            }
        }
        return out
    }

    /// A binary mask dilated by one pixel (3x3).
    static func grown(_ m: [Float], frames: Int, height h: Int, width w: Int) -> [Float] {
        boxBlur(m, frames: frames, height: h, width: w).map { $0 > 0 ? 1 : 0 }
    }

    /// Keeps the source outside the mask: m·x + (1 − m)·kept, with the [F, 1, h, w] mask broadcast over channels.
    func blend(_ x: Tensor, keeping kept: Tensor) -> Tensor {
        let f = x.shape[0], c = x.shape[1], plane = x.shape[2] * x.shape[3]
        var out = x
        for n in 0..<f {
            for ch in 0..<c {
                let base = (n * c + ch) * plane
                for p in 0..<plane where mask.scalars[n * plane + p] == 0 {
                    out.scalars[base + p] = kept.scalars[base + p]
                }
            }
        }
        return out
    }
}

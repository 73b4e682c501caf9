import Diffusion
import Foundation
import MediaIO
import Scenes
import Tensors

/// Which caption words a model uses: the denoising loss on the object's latent cells with the scene's own caption
/// against the same caption with the shape word changed, with the colour word changed, and with no caption.
/// A word the model has learned raises the loss when it is wrong; a word it ignores leaves it where it was.
///
/// Per held-out scene (large objects, so the outline spans several latent cells; `SceneSampler` seeds
/// `seedBase + i`, apart from training's 64-bit stream and `ctxedit eval`'s 1 000 000 + i), one frame's latents
/// x₀ are noised to x_t = √ᾱ_t·x₀ + √(1−ᾱ_t)·ε (the plain trajectory: the adapter's shift is left out) and
///     loss(caption, t) = Σ_cells w·‖ŷ(x_t, caption, t) − y‖² / (channels · Σ_cells w),
/// y the scheduler's target (ε or v), w the object's coverage of each latent cell; averaged over the scenes.
/// Each scene is changed to the next shape in `Shape.allCases` and the colour three places on in `NamedColor.allCases`.
public struct CaptionSensitivity: Sendable {
    public struct Row: Sendable {
        public var timestep: Int
        public var right = 0.0, wrongShape = 0.0, wrongColour = 0.0, empty = 0.0
    }

    public var rows: [Row]
    /// Scenes measured (a scene whose object is out of the frame is skipped).
    public var scenes: Int

    /// `imageSize`: the side the model was trained at (frames are rendered at it). `focus`: measure the scenes'
    /// focus versions (`DefaultModelTraining.focused`: resting on a plain background) instead, where the shape is
    /// most of what the caption adds to the picture.
    public static func measure(_ model: StableDiffusion, imageSize side: Int, scenes: Int = 12, seedBase: UInt64 = 2_000_000,
                               timesteps: [Int] = [100, 300, 500, 700, 900], focus: Bool = false) -> CaptionSensitivity {
        let alphas = model.scheduler.schedule.alphasCumprod, objective = model.scheduler.prediction
        var rows = timesteps.map { Row(timestep: $0) }
        var measured = 0
        let shapes = Shape.allCases, colours = NamedColor.allCases
        for i in 0..<scenes {
            var sampler = SceneSampler(seed: seedBase + UInt64(i))
            let sampled = sampler.next()
            let scene = focus ? DefaultModelTraining.focused(sampled) : sampled.with(size: .large)
            let otherShape = scene.with(shape: shapes[(shapes.firstIndex(of: scene.shape)! + 1) % shapes.count])
            let otherColour = scene.with(color: colours[(colours.firstIndex(of: scene.color)! + 3) % colours.count])
            let clip = SceneRenderer.render(scene, size: Size(width: side, height: side), frames: 1)
            let x0 = model.encodeFrames(FrameBatch(images: clip.frames, frameRate: 8))
            let c = x0.shape[1], h = x0.shape[2], w = x0.shape[3], factor = side / h
            // The object's coverage of each latent cell.
            let weight = DefaultModelTraining.cellSums(clip.masks[0], size: side, factor: factor).map { $0 / Float(factor * factor) }
            let total = weight.reduce(0, +) * Float(c)
            guard total > 0 else { continue }  // the object is out of the frame
            measured += 1
            var random = TorchRandom(seed: seedBase + UInt64(i))
            let noise = Tensor(shape: x0.shape, scalars: random.normal(count: x0.count))
            let captions = [scene.caption, otherShape.caption, otherColour.caption, ""].map { model.encodePrompt($0) }
            for (r, t) in timesteps.enumerated() {
                let a = alphas[t]
                let xt = x0 * a.squareRoot() + noise * (1 - a).squareRoot()
                let target = objective.target(noise: noise, x0: x0, alphaCumprod: a)
                let losses = captions.map { context -> Double in
                    let d = (model.unet(xt, timesteps: [Float(t)], context: context, frames: .perFrame) - target).scalars
                    var sum: Float = 0
                    for k in d.indices { sum += d[k] * d[k] * weight[k % (h * w)] }
                    return Double(sum / total)
                }
                rows[r].right += losses[0]
                rows[r].wrongShape += losses[1]
                rows[r].wrongColour += losses[2]
                rows[r].empty += losses[3]
            }
        }
        let n = Double(max(measured, 1))
        for r in rows.indices {
            rows[r].right /= n
            rows[r].wrongShape /= n
            rows[r].wrongColour /= n
            rows[r].empty /= n
        }
        return CaptionSensitivity(rows: rows, scenes: measured)
    }

    /// Markdown table, one row per timestep.
    public var table: String {
        var lines = ["| t | scene's caption | shape word changed | colour word changed | empty caption |",
                     "| ---: | ---: | ---: | ---: | ---: |"]
        for row in rows {
            lines.append(String(format: "| %d | %.4f | %.4f | %.4f | %.4f |", row.timestep, row.right, row.wrongShape,
                                row.wrongColour, row.empty))
        }
        return lines.joined(separator: "\n")
    }
}

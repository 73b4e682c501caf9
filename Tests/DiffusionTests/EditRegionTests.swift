import Foundation
import MediaIO
import Testing
@testable import Diffusion
@testable import Models
@testable import Tensors

/// `EditRegion.auto`: the mask is where the two captions' predictions differ, and outside it the edit returns the
/// source latents exactly.
@Suite struct EditRegionTests {
    /// A denoiser whose prediction depends on the caption only inside `box` (latent rows × columns): there it adds
    /// the context's mean, elsewhere it is 0.1·x for every caption.
    struct BoxPredictor: NoisePredictor {
        let rows: Range<Int>, columns: Range<Int>
        func predictNoise(_ x: Tensor, timesteps: [Float], context: Tensor, frames: FrameAttention) -> Tensor {
            let n = x.shape[0], c = x.shape[1], h = x.shape[2], w = x.shape[3]
            let perItem = context.count / n
            var out = x * 0.1
            for i in 0..<n {
                let mean = context.scalars[(i * perItem)..<((i + 1) * perItem)].reduce(0, +) / Float(perItem)
                for ch in 0..<c { for y in rows { for xx in columns { out.scalars[((i * c + ch) * h + y) * w + xx] += mean } } }
            }
            return out
        }
    }

    /// An editor whose predictions disagree on the latent box rows and columns 2..<5, with 5 steps and no cache;
    /// `threshold` sets the region's (nil: the default).
    func boxEditor(threshold: Float? = nil) throws -> (VideoEditor, EditSettings) {
        var editor = VideoEditor(model: try tinyModel())
        editor.predictor = BoxPredictor(rows: 2..<5, columns: 2..<5)
        var settings = EditSettings()
        if let threshold { settings.region = .auto(threshold: threshold) }
        settings.steps = 5
        settings.cacheFolder = nil
        return (editor, settings)
    }

    /// The 3x3 box, grown by one latent pixel on every side (corners included): after the 3x3 smoothing the box's
    /// centre is the peak, its border 6/9 and corners 4/9 of it (kept at threshold 0.35, the median being 0), the
    /// pixels beside it 3/9 (dropped); the mask is then grown by one. Exact, for every frame. (The default threshold,
    /// 0.5, would drop the corners too.)
    @Test func maskIsTheDisagreementGrownByOnePixel() throws {
        var (editor, settings) = try boxEditor(threshold: 0.35)
        settings.guidance = 1
        let result = try editor.edit(movingSquare(), sourcePrompt: "a red square", prompts: ["a blue circle"], settings: settings)[0]
        let mask = try #require(result.mask).mask
        let f = mask.shape[0], h = mask.shape[2], w = mask.shape[3]
        #expect(mask.shape == [4, 1, 8, 8])
        for n in 0..<f {
            for y in 0..<h {
                for x in 0..<w {
                    let expected: Float = (1...5).contains(y) && (1...5).contains(x) ? 1 : 0
                    #expect(mask.scalars[(n * h + y) * w + x] == expected, "frame \(n) (\(y), \(x))")
                }
            }
        }
        #expect(editor.notes.contains { $0.contains("differ on 39% of the frame area") })  // 25 of 64 pixels
    }

    /// Outside the mask every latent is the source's x₀ bit for bit (the last step keeps inverted[0]); inside it
    /// the edit differs. `whole` edits everywhere and reports no mask.
    @Test func outsideTheMaskTheSourceLatentsComeBack() throws {
        var (editor, settings) = try boxEditor()
        let clip = movingSquare()
        let x0 = editor.model.encodeFrames(clip)
        let masked = try editor.edit(clip, sourcePrompt: "a red square", prompts: ["a blue circle"], settings: settings)[0]
        let inside = try largestChangeInside(masked, x0: x0, against: x0)
        #expect(inside > 1e-3, "the edit changed nothing inside its mask")
        let mask = try #require(masked.mask).mask
        let plane = 64, c = x0.shape[1]

        settings.region = .whole
        let whole = try editor.edit(clip, sourcePrompt: "a red square", prompts: ["a blue circle"], settings: settings)[0]
        #expect(whole.mask == nil)
        let outside = (0..<x0.count).filter { mask.scalars[($0 / (c * plane)) * plane + $0 % plane] == 0 }
        #expect(outside.contains { whole.latents.scalars[$0] != x0.scalars[$0] })
    }

    /// Expects `result`'s latents [F, C, h, w] to be `x0`'s bit for bit outside its mask; returns the largest
    /// difference from `reference` inside it.
    func largestChangeInside(_ result: EditResult, x0: Tensor, against reference: Tensor) throws -> Float {
        let mask = try #require(result.mask).mask
        let c = x0.shape[1], plane = x0.shape[2] * x0.shape[3]
        var inside: Float = 0
        for i in 0..<x0.count {
            let n = i / (c * plane), p = i % plane
            if mask.scalars[n * plane + p] == 0 {
                #expect(result.latents.scalars[i] == x0.scalars[i], "latent \(i)")
            } else {
                inside = max(inside, abs(result.latents.scalars[i] - reference.scalars[i]))
            }
        }
        return inside
    }

    /// `regionNoise` ρ: inside the mask x_T becomes √(1 − ρ²)·x_T + ρ·ε with one ε (torch's normal draw, seed 0) for
    /// every frame, outside it stays bit for bit; ρ = 0 is the inversion itself. Through a whole edit: outside the
    /// mask the source latents still come back exactly, inside the result moves with ρ.
    @Test func regionNoiseLoosensOnlyInsideTheMask() throws {
        let (f, c, h, w) = (2, 4, 8, 8), plane = h * w
        var rng = TorchRandom(seed: 7)
        let xT = Tensor(shape: [f, c, h, w], scalars: rng.normal(count: f * c * plane))
        var m = [Float](repeating: 0, count: f * plane)
        for n in 0..<f { for y in 2..<5 { for x in (2 + n)..<(5 + n) { m[n * plane + y * w + x] = 1 } } }
        let mask = EditMask(mask: Tensor(shape: [f, 1, h, w], scalars: m))
        var seed0 = TorchRandom(seed: 0)
        let eps = seed0.normal(count: c * plane)
        #expect(VideoEditor.loosened(xT, inside: mask, by: 0).scalars == xT.scalars)
        let loose = VideoEditor.loosened(xT, inside: mask, by: 0.6)
        for i in 0..<xT.count {
            let n = i / (c * plane), p = i % plane
            let expected = m[n * plane + p] == 0 ? xT.scalars[i] : 0.8 * xT.scalars[i] + 0.6 * eps[i % (c * plane)]
            #expect(abs(loose.scalars[i] - expected) <= 1e-6, "element \(i)")
        }

        var (editor, settings) = try boxEditor()
        let clip = movingSquare()
        let x0 = editor.model.encodeFrames(clip)
        let plain = try editor.edit(clip, sourcePrompt: "a red square", prompts: ["a blue circle"], settings: settings)[0]
        settings.regionNoise = 1
        let redrawn = try editor.edit(clip, sourcePrompt: "a red square", prompts: ["a blue circle"], settings: settings)[0]
        let moved = try largestChangeInside(redrawn, x0: x0, against: plain.latents)
        #expect(moved > 1e-2, "fresh noise in the region changed nothing there")
        #expect(EditSettings.isValidRegionNoise(0) && EditSettings.isValidRegionNoise(1))
        #expect(!EditSettings.isValidRegionNoise(-0.1) && !EditSettings.isValidRegionNoise(1.5) && !EditSettings.isValidRegionNoise(.nan))
    }

    /// The edited frames: the source's pixels bit for bit where no region pixel is within half a latent pixel, the
    /// decoded edit deep inside the region.
    @Test func outsideTheRegionTheSourcePixelsComeBack() throws {
        var (editor, settings) = try boxEditor(threshold: 0.35)
        let clip = movingSquare()
        let result = try editor.edit(clip, sourcePrompt: "a red square", prompts: ["a blue circle"], settings: settings)[0]
        let decoded = editor.model.decodeLatents(result.latents, frameRate: clip.frameRate)
        let scale = editor.model.latentScale, r = scale / 2, width = clip.width, plane = clip.width * clip.height
        // The mask is latent rows and columns 1...5 (maskIsTheDisagreementGrownByOnePixel) in every frame.
        func latentInside(_ v: Int) -> Bool { (1...5).contains(v / scale) }
        var outside = 0, deep = 0
        for i in 0..<clip.values.count {
            let p = i % plane, y = p / width, x = p % width
            let near = (max(y - r, 0)...min(y + r, clip.height - 1)).contains { yy in
                (max(x - r, 0)...min(x + r, width - 1)).contains { latentInside(yy) && latentInside($0) }
            }
            let core = (y - r...y + r).allSatisfy { yy in (x - r...x + r).allSatisfy { latentInside(yy) && latentInside($0) } }
            if !near {
                #expect(result.frames.values[i] == clip.values[i], "value \(i)")
                outside += 1
            } else if core {
                #expect(result.frames.values[i] == decoded.values[i], "value \(i)")
                deep += 1
            }
        }
        #expect(outside > 0 && deep > 0, "\(outside) outside, \(deep) deep inside")
        #expect(result.frames.values != decoded.values)
    }

    /// The region's UNet passes report as their own stage, between the inversion and the denoising, and a handler
    /// can stop the edit there.
    @Test func findingTheRegionReportsProgressAndCancels() throws {
        var editor = VideoEditor(model: try tinyModel())
        var settings = EditSettings()
        settings.steps = 10
        settings.cacheFolder = nil
        var seen: [String] = []
        _ = try editor.edit(movingSquare(frames: 2), sourcePrompt: "a red square", prompts: ["a blue circle"], settings: settings) {
            seen.append("\($0.stage.rawValue) \($0.step)/\($0.totalSteps)"); return true
        }
        let region = seen.filter { $0.hasPrefix("find edit region") }
        #expect(region == ["find edit region 1/2", "find edit region 2/2"])
        #expect(seen.firstIndex(of: "invert 10/10")! < seen.firstIndex(of: region[0])!)
        #expect(seen.firstIndex(of: region[1])! < seen.firstIndex(of: "denoise 1/10")!)
        let error = #expect(throws: EditError.self) {
            _ = try editor.edit(movingSquare(frames: 2), sourcePrompt: "a red square", prompts: ["a blue circle"],
                                settings: settings) { $0.stage != .findRegion }
        }
        #expect(error == .cancelled)
    }

    /// Captions that change nothing give an empty mask: the edit is the source's latents.
    @Test func identicalPredictionsEditNothing() throws {
        var editor = VideoEditor(model: try tinyModel())
        var settings = EditSettings()
        settings.steps = 3
        settings.cacheFolder = nil
        let clip = movingSquare(frames: 2)
        let x0 = editor.model.encodeFrames(clip)
        let same = try editor.edit(clip, sourcePrompt: "a red square", prompts: ["a red square"], settings: settings)[0]
        #expect(try #require(same.mask).coverage == 0)
        #expect(same.latents == x0)
    }

    /// `--show-region`: inside the region the source pixels stay, outside they are dimmed to a third; each latent
    /// pixel covers its block of frame pixels.
    @Test func overlayDimsWhatWasKept() {
        let mask = EditMask(mask: Tensor(shape: [2, 1, 2, 2], scalars: [1, 0, 0, 0, 0, 0, 0, 1]))
        let frames = (0..<2).map { _ in RGBImage(width: 4, height: 4, fill: (90, 150, 240)) }
        let shown = mask.overlay(on: frames)
        for f in 0..<2 {
            for y in 0..<4 {
                for x in 0..<4 {
                    let inside = f == 0 ? (x < 2 && y < 2) : (x >= 2 && y >= 2)
                    let expected: (UInt8, UInt8, UInt8) = inside ? (90, 150, 240) : (30, 50, 80)
                    #expect(shown[f][x, y] == expected, "frame \(f) (\(x), \(y))")
                }
            }
        }
    }

    @Test func regionsParseAndNameThemselves() {
        #expect(EditRegion(parsing: "whole") == .whole)
        #expect(EditRegion(parsing: "auto") == .auto(threshold: EditRegion.defaultThreshold))
        #expect(EditRegion(parsing: "auto:0.2") == .auto(threshold: 0.2))
        for bad in ["auto:0", "auto:1", "auto:x", "half", ""] { #expect(EditRegion(parsing: bad) == nil, "\(bad)") }
        #expect(EditRegion.auto(threshold: 0.2).name == "auto:0.2" && EditRegion.auto(threshold: EditRegion.defaultThreshold).name == "auto")
    }
}

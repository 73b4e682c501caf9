import MediaIO

extension EditMask {
    /// The edited frames inside the region, the source's own pixels outside it, blended over a soft edge: the weight
    /// of the edit at a pixel is the share of region pixels in the (2r+1)×(2r+1) window around it on the mask
    /// upsampled to the frame (r = half a latent pixel, `scale` / 2), so it is 0 — and the pixel is the source's,
    /// bit for bit — wherever no region pixel is within r, and 1 deep inside the region.
    ///
    /// Outside the region the latents already are the source's, but the VAE decoder (its mid-block attention sees
    /// the whole frame) and its reconstruction error change those pixels anyway: with the default model the kept
    /// background came back tinted. Pasting the source back is what inpainting pipelines do with their mask
    /// (diffusers' `apply_overlay`).
    /// - edited, source: F frames of the same size, values in [-1, 1]; the mask is [F, 1, H/scale, W/scale].
    func pasteBack(edited: FrameBatch, source: FrameBatch, scale: Int) -> FrameBatch {
        let f = edited.frameCount, width = edited.width, height = edited.height
        let h = mask.shape[2], w = mask.shape[3]
        precondition(source.frameCount == f && source.width == width && source.height == height && mask.shape[0] == f,
                     "paste back: edited \(f)x\(width)x\(height), source \(source.frameCount)x\(source.width)x\(source.height), mask \(mask.shape)")
        let r = max(scale / 2, 0), plane = width * height
        var out = source.values
        var upsampled = [Float](repeating: 0, count: plane), rows = [Float](repeating: 0, count: plane)
        for n in 0..<f {
            for y in 0..<height {
                let my = min(y * h / height, h - 1)
                for x in 0..<width { upsampled[y * width + x] = mask.scalars[(n * h + my) * w + min(x * w / width, w - 1)] }
            }
            // Separable box mean over the window (edges: the pixels that exist).
            for y in 0..<height {
                for x in 0..<width {
                    let lo = max(x - r, 0), hi = min(x + r, width - 1)
                    var s: Float = 0
                    for xx in lo...hi { s += upsampled[y * width + xx] }
                    rows[y * width + x] = s / Float(hi - lo + 1)
                }
            }
            for y in 0..<height {
                let lo = max(y - r, 0), hi = min(y + r, height - 1)
                for x in 0..<width {
                    var s: Float = 0
                    for yy in lo...hi { s += rows[yy * width + x] }
                    let weight = s / Float(hi - lo + 1)
                    guard weight > 0 else { continue }
                    for c in 0..<3 {
                        let i = (n * 3 + c) * plane + y * width + x
                        out[i] = weight * edited.values[i] + (1 - weight) * source.values[i]
                    }
                }
            }
        }
        return FrameBatch(frameCount: f, width: width, height: height, frameRate: edited.frameRate, values: out)
    }
}

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
        let f = edited.frameCount, width = edited.width, height = edited.height, plane = width * height
        precondition(source.frameCount == f && source.width == width && source.height == height && mask.shape[0] == f,
                     "paste back: edited \(f)x\(width)x\(height), source \(source.frameCount)x\(source.width)x\(source.height), mask \(mask.shape)")
        var out = source.values
        for n in 0..<f {
            let weights = EditMask.boxBlur(upsampled(frame: n, width: width, height: height), frames: 1, height: height,
                                           width: width, radius: max(scale / 2, 0))
            for (p, weight) in weights.enumerated() where weight > 0 {
                for c in 0..<3 {
                    let i = (n * 3 + c) * plane + p
                    out[i] = weight * edited.values[i] + (1 - weight) * source.values[i]
                }
            }
        }
        return FrameBatch(frameCount: f, width: width, height: height, frameRate: edited.frameRate, values: out)
    }
}

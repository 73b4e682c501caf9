import MediaIO

extension EditMask {
    /// The source frames with what the edit kept dimmed to a third (the edit region at full brightness), for the
    /// `--show-region` row of a strip. Each latent pixel covers width/w × height/h frame pixels.
    /// - frames: the F source frames the mask [F, 1, h, w] was found on.
    public func overlay(on frames: [RGBImage]) -> [RGBImage] {
        let h = mask.shape[2], w = mask.shape[3]
        precondition(frames.count == mask.shape[0], "overlay: \(frames.count) frames for a mask of \(mask.shape[0])")
        return frames.enumerated().map { f, frame in
            var out = frame
            for y in 0..<frame.height {
                let my = min(y * h / frame.height, h - 1)
                for x in 0..<frame.width where mask.scalars[(f * h + my) * w + min(x * w / frame.width, w - 1)] == 0 {
                    for c in 0..<3 { out.pixels[(y * frame.width + x) * 3 + c] /= 3 }
                }
            }
            return out
        }
    }
}

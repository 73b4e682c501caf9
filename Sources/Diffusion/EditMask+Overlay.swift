import MediaIO

extension EditMask {
    /// The source frames with what the edit kept dimmed to a third (the edit region at full brightness), for the
    /// `--show-region` row of a strip. Each latent pixel covers width/w × height/h frame pixels.
    /// - frames: the F source frames the mask [F, 1, h, w] was found on.
    public func overlay(on frames: [RGBImage]) -> [RGBImage] {
        precondition(frames.count == mask.shape[0], "overlay: \(frames.count) frames for a mask of \(mask.shape[0])")
        return frames.enumerated().map { f, frame in
            var out = frame
            for (p, m) in upsampled(frame: f, width: frame.width, height: frame.height).enumerated() where m == 0 {
                for c in 0..<3 { out.pixels[p * 3 + c] /= 3 }
            }
            return out
        }
    }

    /// Frame `f`'s mask at `width`×`height` pixels, each taking its latent pixel's value (nearest; a latent pixel
    /// covers width/w × height/h frame pixels) → [height·width].
    func upsampled(frame f: Int, width: Int, height: Int) -> [Float] {
        let h = mask.shape[2], w = mask.shape[3]
        var out = [Float](repeating: 0, count: width * height)
        for y in 0..<height {
            let row = (f * h + min(y * h / height, h - 1)) * w
            for x in 0..<width { out[y * width + x] = mask.scalars[row + min(x * w / width, w - 1)] }
        }
        return out
    }
}

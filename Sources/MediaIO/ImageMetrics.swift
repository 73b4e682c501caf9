import Foundation

/// Picture comparisons used by tests and the edit-quality benchmark.
public enum ImageMetrics {
    /// Mean squared error over all bytes of two same-sized pictures (8-bit units²).
    public static func meanSquaredError(_ a: RGBImage, _ b: RGBImage) -> Double {
        precondition(a.size == b.size, "ImageMetrics: sizes differ (\(a.size) vs \(b.size))")
        var sum = 0.0
        for i in 0..<a.pixels.count {
            let d = Double(a.pixels[i]) - Double(b.pixels[i])
            sum += d * d
        }
        return sum / Double(a.pixels.count)
    }

    /// Peak signal-to-noise ratio in dB, `10·log10(255² / MSE)`; `+infinity` for identical pictures.
    public static func psnr(_ a: RGBImage, _ b: RGBImage) -> Double {
        let mse = meanSquaredError(a, b)
        return mse == 0 ? .infinity : 10 * log10(255 * 255 / mse)
    }

    /// Mean absolute difference per byte (8-bit units).
    public static func meanAbsoluteError(_ a: RGBImage, _ b: RGBImage) -> Double {
        precondition(a.size == b.size, "ImageMetrics: sizes differ (\(a.size) vs \(b.size))")
        var sum = 0.0
        for i in 0..<a.pixels.count { sum += abs(Double(a.pixels[i]) - Double(b.pixels[i])) }
        return sum / Double(a.pixels.count)
    }

    /// Largest absolute difference of any byte.
    public static func maxAbsoluteError(_ a: RGBImage, _ b: RGBImage) -> Int {
        precondition(a.size == b.size, "ImageMetrics: sizes differ (\(a.size) vs \(b.size))")
        var m = 0
        for i in 0..<a.pixels.count { m = max(m, abs(Int(a.pixels[i]) - Int(b.pixels[i]))) }
        return m
    }
}

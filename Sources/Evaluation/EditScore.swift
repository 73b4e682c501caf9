import Foundation
import MediaIO
import Scenes

/// How good one edited clip is, measured against the renderer's ground truth: the source scene, the requested
/// (target) scene, and the target's rendering, which is what a perfect edit looks like.
public struct EditScore: Codable, Sendable, Equatable {
    /// Fraction of frames whose object colour, measured in the target's object region, is the requested one.
    public var colorAccuracy: Double
    /// Fraction of frames whose object shape (best template match around the target position) is the requested one.
    public var shapeAccuracy: Double
    /// Fraction of frames whose background colour, measured away from the object, is the requested background's.
    public var backgroundAccuracy: Double
    /// PSNR (dB) and mean absolute error (8-bit units) of the edit against the target rendering, all pixels.
    public var psnrTarget: Double
    public var maeTarget: Double
    /// Mean absolute error against the source where neither the source nor the target object is (what should not
    /// change; only meaningful when the background is not edited).
    public var maeUnchanged: Double
    /// Mean frame-to-frame change of the edit divided by that of the target rendering, the latter floored at one
    /// 8-bit level so a resting object does not divide by zero (1 = as smooth as the truth; above 1 = flicker).
    public var flickerRatio: Double
}

public enum EditScoring {
    /// Scores `edited` frames (the edit of `source` asked to become `target`), rendered at `size`.
    public static func score(edited: [RGBImage], source: Scene, target: Scene, size: Size) -> EditScore {
        let n = edited.count
        let truth = SceneRenderer.render(target, size: size, frames: n)
        let original = SceneRenderer.render(source, size: size, frames: n)
        var color = 0, shape = 0, background = 0
        var psnr = 0.0, mae = 0.0, unchanged = 0.0
        for f in 0..<n {
            let frame = edited[f]
            if AttributeClassifier.objectColor(frame, mask: truth.masks[f]) == target.color { color += 1 }
            if AttributeClassifier.objectShape(frame, scene: target, frame: f, count: n, size: size) == target.shape { shape += 1 }
            if AttributeClassifier.backgroundMatches(frame, background: target.background,
                                                     masks: [truth.masks[f], original.masks[f]], size: size) { background += 1 }
            psnr += min(ImageMetrics.psnr(frame, truth.frames[f]), 99)
            mae += ImageMetrics.meanAbsoluteError(frame, truth.frames[f])
            unchanged += maskedMAE(frame, original.frames[f], excluding: [truth.masks[f], original.masks[f]])
        }
        let d = Double(n)
        return EditScore(colorAccuracy: Double(color) / d, shapeAccuracy: Double(shape) / d,
                         backgroundAccuracy: Double(background) / d, psnrTarget: psnr / d, maeTarget: mae / d,
                         maeUnchanged: unchanged / d,
                         flickerRatio: flicker(edited) / max(flicker(truth.frames), 1))
    }

    /// Mean absolute change between consecutive frames (8-bit units).
    public static func flicker(_ frames: [RGBImage]) -> Double {
        guard frames.count > 1 else { return 0 }
        return zip(frames, frames.dropFirst()).reduce(0) { $0 + ImageMetrics.meanAbsoluteError($1.0, $1.1) } / Double(frames.count - 1)
    }

    /// MAE over pixels that no mask covers (dilated by the masks' own anti-aliased edges).
    static func maskedMAE(_ a: RGBImage, _ b: RGBImage, excluding masks: [[Float]]) -> Double {
        var sum = 0.0, count = 0
        for p in 0..<(a.width * a.height) where masks.allSatisfy({ $0[p] == 0 }) {
            for c in 0..<3 { sum += abs(Double(a.pixels[p * 3 + c]) - Double(b.pixels[p * 3 + c])) }
            count += 3
        }
        return count == 0 ? 0 : sum / Double(count)
    }
}

import Foundation
import MediaIO
import Scenes

/// Reads the attributes of an edited frame from its pixels, independently of the model under test: colour by
/// nearest named colour, shape by template matching against the renderer's masks, background by the colours
/// away from the object.
public enum AttributeClassifier {
    /// The named colour nearest (RGB distance) to the mean of the pixels the mask fully covers (coverage ≥ 0.9).
    public static func objectColor(_ frame: RGBImage, mask: [Float]) -> NamedColor? {
        var sum = (0.0, 0.0, 0.0), n = 0.0
        for p in 0..<mask.count where mask[p] >= 0.9 {
            sum.0 += Double(frame.pixels[p * 3]); sum.1 += Double(frame.pixels[p * 3 + 1]); sum.2 += Double(frame.pixels[p * 3 + 2])
            n += 1
        }
        guard n > 0 else { return nil }
        return nearestColor((sum.0 / n, sum.1 / n, sum.2 / n))
    }

    public static func nearestColor(_ rgb: (Double, Double, Double)) -> NamedColor {
        NamedColor.allCases.min { distance($0.rgb, rgb) < distance($1.rgb, rgb) }!
    }

    static func distance(_ c: (UInt8, UInt8, UInt8), _ rgb: (Double, Double, Double)) -> Double {
        let dr = Double(c.0) - rgb.0, dg = Double(c.1) - rgb.1, db = Double(c.2) - rgb.2
        return dr * dr + dg * dg + db * db
    }

    /// The shape whose mask (same centre, size and angle as the target at this frame) best overlaps (IoU) the
    /// pixels that look like the object: closer to the measured object colour than to the nearby background.
    public static func objectShape(_ frame: RGBImage, scene: Scene, frame f: Int, count: Int, size: Size) -> Shape? {
        let masks = Dictionary(uniqueKeysWithValues: Shape.allCases.map { shape in
            (shape, SceneRenderer.render(scene.with(shape: shape), size: size, frames: count).masks[f])
        })
        // Object colour from the core all candidate shapes share; background from a ring just outside them all.
        let union = (0..<(size.width * size.height)).map { p in masks.values.map { $0[p] }.max() ?? 0 }
        let core = (0..<union.count).map { p in masks.values.map { $0[p] }.min() ?? 0 }
        guard let objectRGB = meanColor(frame, where: { core[$0] >= 0.9 }) else { return nil }
        let (cx, cy) = scene.center(at: SceneRenderer.time(ofFrame: f, count: count), in: size)
        let r = scene.size.radius(in: size)
        let ring = { (p: Int) -> Bool in
            let dx = Double(p % size.width) + 0.5 - cx, dy = Double(p / size.width) + 0.5 - cy
            let d = (dx * dx + dy * dy).squareRoot()
            return union[p] == 0 && d > r + 1 && d < r * 1.5 + 2
        }
        guard let backgroundRGB = meanColor(frame, where: ring) else { return nil }
        // Segment the neighbourhood of the object.
        var segmented = [Bool](repeating: false, count: union.count)
        for p in 0..<union.count {
            let dx = Double(p % size.width) + 0.5 - cx, dy = Double(p / size.width) + 0.5 - cy
            guard dx * dx + dy * dy <= (r + 1) * (r + 1) else { continue }
            let px = (Double(frame.pixels[p * 3]), Double(frame.pixels[p * 3 + 1]), Double(frame.pixels[p * 3 + 2]))
            segmented[p] = squared(px, objectRGB) < squared(px, backgroundRGB)
        }
        func iou(_ m: [Float]) -> Double {
            var inter = 0.0, uni = 0.0
            for p in 0..<m.count {
                let a = m[p] >= 0.5, b = segmented[p]
                if a && b { inter += 1 }
                if a || b { uni += 1 }
            }
            return uni == 0 ? 0 : inter / uni
        }
        return Shape.allCases.max { iou(masks[$0]!) < iou(masks[$1]!) }
    }

    /// Whether the pixels away from both objects have the requested background's colours: each of its colours
    /// is the nearest named colour of a clearly present cluster (plain: the mean; two colours: each pixel's nearest
    /// of the two named colours must fit within a tolerance for 90% of pixels).
    public static func backgroundMatches(_ frame: RGBImage, background: Background, masks: [[Float]], size: Size) -> Bool {
        let colors = background.colors
        var fits = 0, total = 0
        for p in 0..<(size.width * size.height) where masks.allSatisfy({ $0[p] == 0 }) {
            let px = (Double(frame.pixels[p * 3]), Double(frame.pixels[p * 3 + 1]), Double(frame.pixels[p * 3 + 2]))
            let nearestNamed = nearestColor(px)
            total += 1
            // Gradients blend their two colours, so accept pixels between them as well.
            if colors.contains(nearestNamed) || (colors.count == 2 && between(px, colors[0].rgb, colors[1].rgb)) { fits += 1 }
        }
        return total > 0 && Double(fits) / Double(total) >= 0.9
    }

    static func between(_ px: (Double, Double, Double), _ a: (UInt8, UInt8, UInt8), _ b: (UInt8, UInt8, UInt8)) -> Bool {
        // Distance from px to the segment a–b in RGB, below 40 levels.
        let ax = (Double(a.0), Double(a.1), Double(a.2)), bx = (Double(b.0), Double(b.1), Double(b.2))
        let ab = (bx.0 - ax.0, bx.1 - ax.1, bx.2 - ax.2)
        let ap = (px.0 - ax.0, px.1 - ax.1, px.2 - ax.2)
        let len = ab.0 * ab.0 + ab.1 * ab.1 + ab.2 * ab.2
        let t = len == 0 ? 0 : max(0, min(1, (ap.0 * ab.0 + ap.1 * ab.1 + ap.2 * ab.2) / len))
        let closest = (ax.0 + t * ab.0, ax.1 + t * ab.1, ax.2 + t * ab.2)
        return squared(px, closest) < 40 * 40
    }

    static func meanColor(_ frame: RGBImage, where include: (Int) -> Bool) -> (Double, Double, Double)? {
        var sum = (0.0, 0.0, 0.0), n = 0.0
        for p in 0..<(frame.width * frame.height) where include(p) {
            sum.0 += Double(frame.pixels[p * 3]); sum.1 += Double(frame.pixels[p * 3 + 1]); sum.2 += Double(frame.pixels[p * 3 + 2])
            n += 1
        }
        return n > 0 ? (sum.0 / n, sum.1 / n, sum.2 / n) : nil
    }

    static func squared(_ a: (Double, Double, Double), _ b: (Double, Double, Double)) -> Double {
        (a.0 - b.0) * (a.0 - b.0) + (a.1 - b.1) * (a.1 - b.1) + (a.2 - b.2) * (a.2 - b.2)
    }
}

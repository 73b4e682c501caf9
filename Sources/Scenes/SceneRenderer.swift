import Foundation
import MediaIO

/// A rendered scene: its frames and, for each frame, how much of each pixel the object covers.
public struct RenderedClip: Equatable, Sendable {
    public var frames: [RGBImage]
    /// One mask per frame, each [H, W] row-major, in [0, 1]: the object's area in that pixel
    /// (1 inside, 0 outside, fractional along its anti-aliased edge). The ground-truth object region.
    public var masks: [[Float]]
}

/// Draws scenes into pixels, deterministically: the same scene, size and frame count give bit-identical
/// frames and masks.
///
/// The object is anti-aliased analytically: a pixel's coverage is `clamp(½ − d, 0, 1)` for the signed
/// distance `d` (pixels, negative inside) from its centre to the outline. Colours blend in sRGB,
/// `round(bg + (object − bg)·coverage)`, so fully covered pixels have the object colour exactly and
/// uncovered ones the background colour exactly.
public enum SceneRenderer {
    /// Time of frame `index` of `count`: 0 for the first, 1 for the last.
    public static func time(ofFrame index: Int, count: Int) -> Double {
        count > 1 ? Double(index) / Double(count - 1) : 0
    }

    /// Renders `frames` frames of `scene` at `size`.
    public static func render(_ scene: Scene, size: Size, frames: Int) -> RenderedClip {
        precondition(size.width > 0 && size.height > 0 && frames > 0, "SceneRenderer: empty size or no frames")
        let background = scene.background.pixels(width: size.width, height: size.height)
        var clip = RenderedClip(frames: [], masks: [])
        clip.frames.reserveCapacity(frames)
        clip.masks.reserveCapacity(frames)
        for f in 0..<frames {
            let t = time(ofFrame: f, count: frames)
            var pixels = background
            var mask = [Float](repeating: 0, count: size.width * size.height)
            drawObject(scene, at: t, size: size, pixels: &pixels, mask: &mask)
            clip.frames.append(RGBImage(width: size.width, height: size.height, pixels: pixels))
            clip.masks.append(mask)
        }
        return clip
    }

    /// Blends the object at time `t` into `pixels` ([H, W, 3]) and writes its coverage into `mask` ([H, W]).
    static func drawObject(_ scene: Scene, at t: Double, size: Size, pixels: inout [UInt8], mask: inout [Float]) {
        let (cx, cy) = scene.center(at: t, in: size)
        let r = scene.size.radius(in: size)
        let outline = Outline(shape: scene.shape, centerX: cx, centerY: cy, radius: r, angle: scene.angle(at: t))
        // Only pixels within one pixel of the circumscribed circle can be touched.
        let x0 = max(0, Int((cx - r - 1).rounded(.down))), x1 = min(size.width - 1, Int((cx + r + 1).rounded(.up)))
        let y0 = max(0, Int((cy - r - 1).rounded(.down))), y1 = min(size.height - 1, Int((cy + r + 1).rounded(.up)))
        guard x0 <= x1, y0 <= y1 else { return }
        let rgb = scene.color.rgb
        pixels.withUnsafeMutableBufferPointer { px in
            mask.withUnsafeMutableBufferPointer { m in
                for y in y0...y1 {
                    for x in x0...x1 {
                        let a = coverage(signedDistance: outline.signedDistance(Double(x) + 0.5, Double(y) + 0.5))
                        guard a > 0 else { continue }
                        let i = y * size.width + x
                        m[i] = Float(a)
                        px[3 * i] = mix(px[3 * i], rgb.0, a)
                        px[3 * i + 1] = mix(px[3 * i + 1], rgb.1, a)
                        px[3 * i + 2] = mix(px[3 * i + 2], rgb.2, a)
                    }
                }
            }
        }
    }
}

/// A shape placed in the frame, in pixels: a circle, or a polygon with its vertices already moved there.
struct Outline {
    let centerX: Double, centerY: Double, radius: Double
    /// Polygon vertices in pixels; empty for a circle.
    let xs: [Double], ys: [Double]

    init(shape: Shape, centerX: Double, centerY: Double, radius: Double, angle: Double) {
        self.centerX = centerX; self.centerY = centerY; self.radius = radius
        let unit = shape.unitOutline ?? []
        let c = cos(angle), s = sin(angle)
        xs = unit.map { centerX + radius * (c * $0.x - s * $0.y) }
        ys = unit.map { centerY + radius * (s * $0.x + c * $0.y) }
    }

    /// Signed distance in pixels from (px, py) to the outline: negative inside.
    func signedDistance(_ px: Double, _ py: Double) -> Double {
        if xs.isEmpty {
            let dx = px - centerX, dy = py - centerY
            return (dx * dx + dy * dy).squareRoot() - radius
        }
        // Nearest edge for the distance; even-odd crossings of a ray toward +x for the sign.
        var nearest = Double.infinity, inside = false
        var j = xs.count - 1
        for i in 0..<xs.count {
            let ax = xs[j], ay = ys[j], ex = xs[i] - ax, ey = ys[i] - ay
            let wx = px - ax, wy = py - ay
            let h = min(max((wx * ex + wy * ey) / (ex * ex + ey * ey), 0), 1)
            let dx = wx - ex * h, dy = wy - ey * h
            nearest = min(nearest, dx * dx + dy * dy)
            if (ay > py) != (ys[i] > py) && px < ax + ex * (py - ay) / ey { inside.toggle() }
            j = i
        }
        return inside ? -nearest.squareRoot() : nearest.squareRoot()
    }
}

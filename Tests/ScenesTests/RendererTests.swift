import Foundation
import MediaIO
import Testing
@testable import Scenes

/// Sum of a mask and its centroid in pixels (pixel centres at +½).
func maskMoments(_ mask: [Float], width: Int) -> (area: Double, x: Double, y: Double) {
    var area = 0.0, sx = 0.0, sy = 0.0
    for (i, m) in mask.enumerated() where m > 0 {
        let v = Double(m)
        area += v
        sx += v * (Double(i % width) + 0.5)
        sy += v * (Double(i / width) + 0.5)
    }
    return (area, sx / area, sy / area)
}

struct RendererTests {
    let frame = Size(width: 128, height: 128)

    @Test func sameSceneRendersBitIdentical() {
        var sampler = SceneSampler(seed: 7)
        for _ in 0..<5 {
            let scene = sampler.next()
            let a = SceneRenderer.render(scene, size: frame, frames: 4)
            let b = SceneRenderer.render(scene, size: frame, frames: 4)
            #expect(a == b, "\(scene)")
        }
    }

    @Test func movingRightCentroidIncreasesEachFrame() {
        let scene = Scene(shape: .star, color: .red, background: .plain(.blue), motion: .linear(toward: .right),
                          start: Position(x: 0.3, y: 0.4), speed: 0.4)
        let clip = SceneRenderer.render(scene, size: frame, frames: 8)
        var lastX = -Double.infinity
        for (f, mask) in clip.masks.enumerated() {
            let c = maskMoments(mask, width: frame.width)
            let expected = scene.center(at: SceneRenderer.time(ofFrame: f, count: 8), in: frame)
            #expect(c.x > lastX)
            #expect(abs(c.x - expected.x) < 0.05 && abs(c.y - expected.y) < 0.05, "frame \(f): \(c) vs \(expected)")
            lastX = c.x
        }
        #expect(abs(lastX - 0.7 * 128) < 0.05)
    }

    @Test func diagonalMotionMovesUpAndLeft() {
        let scene = Scene(shape: .hexagon, color: .yellow, background: .plain(.black), motion: .linear(toward: .upLeft),
                          start: Position(x: 0.7, y: 0.7), speed: 0.3)
        let masks = SceneRenderer.render(scene, size: frame, frames: 5).masks.map { maskMoments($0, width: 128) }
        for (a, b) in zip(masks, masks.dropFirst()) {
            #expect(b.x < a.x && b.y < a.y)
            #expect(abs((a.x - b.x) - (a.y - b.y)) < 0.05)  // 45 degrees
        }
    }

    @Test func orbitKeepsConstantDistanceFromCenter() {
        let scene = Scene(shape: .square, color: .green, size: .small, background: .plain(.white),
                          motion: .orbit(clockwise: true), start: Position(x: 0.8, y: 0.5), speed: 1.0, rotation: 0.5)
        let clip = SceneRenderer.render(scene, size: frame, frames: 12)
        var angles: [Double] = []
        for mask in clip.masks {
            let c = maskMoments(mask, width: frame.width)
            let dx = c.x - 64, dy = c.y - 64
            #expect(abs((dx * dx + dy * dy).squareRoot() - 0.3 * 128) < 0.1)
            angles.append(atan2(dy, dx))
        }
        // Clockwise on screen (y down): the angle grows by arc/radius = 1/0.3 over the clip.
        #expect(abs(angles[1] - angles[0] - 1 / 0.3 / 11) < 0.01)
    }

    @Test func bouncingStaysInsideAndFollowsPath() {
        let scene = Scene(shape: .circle, color: .pink, size: .large, background: .plain(.gray),
                          motion: .bouncing(toward: .downRight), start: Position(x: 0.5, y: 0.3), speed: 2.0)
        let r = ShapeSize.large.radius(in: frame)
        let clip = SceneRenderer.render(scene, size: frame, frames: 16)
        var xs: [Double] = []
        for (f, mask) in clip.masks.enumerated() {
            let c = maskMoments(mask, width: frame.width)
            let expected = scene.center(at: SceneRenderer.time(ofFrame: f, count: 16), in: frame)
            #expect(abs(c.x - expected.x) < 0.05 && abs(c.y - expected.y) < 0.05)
            #expect(abs(c.area - .pi * r * r) / (.pi * r * r) < 0.01, "clipped at frame \(f)")
            xs.append(c.x)
        }
        #expect(xs.max()! > xs.last!, "never turned back")
    }

    @Test func coreHasObjectColorAndFarPixelsBackgroundColor() {
        for shape in Shape.allCases {
            let scene = Scene(shape: shape, color: .orange, size: .large, background: .plain(.cyan), rotation: 0.3)
            let clip = SceneRenderer.render(scene, size: frame, frames: 3)
            let r = ShapeSize.large.radius(in: frame)
            for (image, mask) in zip(clip.frames, clip.masks) {
                var core = 0, edge = 0
                for y in 0..<128 {
                    for x in 0..<128 {
                        let m = mask[y * 128 + x], px = image[x, y]
                        let dx = Double(x) + 0.5 - 64, dy = Double(y) + 0.5 - 64
                        let d = (dx * dx + dy * dy).squareRoot()
                        if m == 1 { core += 1; #expect(px == NamedColor.orange.rgb) }
                        if m > 0 && m < 1 { edge += 1 }
                        if d > r + 1.5 { #expect(m == 0 && px == NamedColor.cyan.rgb) }
                    }
                }
                #expect(core > 300 && edge > 20, "\(shape): core \(core), anti-aliased edge \(edge)")
            }
        }
    }

    /// The mask's total coverage against the shape's analytic area, within 0.2% (large shapes at 256×256, R = 44.8 px).
    @Test(arguments: Shape.allCases)
    func maskAreaMatchesAnalyticArea(shape: Shape) {
        let size = Size(width: 256, height: 256)
        let r = ShapeSize.large.radius(in: size)
        let analytic: Double = switch shape {
        case .circle: .pi * r * r
        case .square: (r * 2.0.squareRoot()) * (r * 2.0.squareRoot())  // side²
        case .triangle: 3.0.squareRoot() / 4 * (r * 3.0.squareRoot()) * (r * 3.0.squareRoot())  // (√3/4)·side²
        case .star: 10 * 0.5 * r * (r * Shape.starInnerRatio) * sin(.pi / 5)  // ten triangles of R, r at 36°
        case .diamond: (2 * r) * (1.2 * r) / 2  // half the product of the diagonals
        case .hexagon: 6 * 3.0.squareRoot() / 4 * r * r  // six equilateral triangles of side R
        }
        #expect(abs(shape.unitArea * r * r - analytic) < 1e-9)
        let scene = Scene(shape: shape, color: .red, size: .large, background: .plain(.blue), rotation: 0.13)
        for mask in SceneRenderer.render(scene, size: size, frames: 2).masks {
            let area = maskMoments(mask, width: 256).area
            #expect(abs(area - analytic) / analytic < 0.002, "\(shape): mask \(area), analytic \(analytic)")
        }
    }

    @Test func texturesShowBothColorsAndStartWithTheFirst() {
        let backgrounds: [Background] = [
            .gradient(from: .red, to: .yellow, along: .vertical), .stripes(.green, .white, along: .horizontal),
            .checkerboard(.black, .white), .dots(.blue, .white),
        ]
        for background in backgrounds {
            let image = SceneRenderer.render(Scene(shape: .circle, color: .red, size: .small, background: background),
                                             size: frame, frames: 1).frames[0]
            #expect(image[0, 0] == background.colors[0].rgb || background.phrase.contains("dotted"))
            let values = Set((0..<128).flatMap { y in (0..<128).map { x in image[x, y] } }.map { "\($0)" })
            #expect(values.contains("\(background.colors[1].rgb)"), "\(background)")
        }
        let gradient = SceneRenderer.render(Scene(shape: .circle, color: .blue, size: .small,
                                                  background: .gradient(from: .red, to: .yellow, along: .vertical)),
                                            size: frame, frames: 1).frames[0]
        #expect(gradient[0, 127] == NamedColor.yellow.rgb && gradient[127, 0] == NamedColor.red.rgb)
    }
}

import Foundation

/// Draws random scenes from a seed: the same seed gives the same scenes, in the same order, everywhere.
///
/// Every sampled scene keeps the object inside the frame for the whole clip (its circumscribed circle, at
/// any aspect ratio), and its colour differs from the background's colours, which differ from each other.
/// Continuous values are rounded to 1/1000 so scene files read cleanly.
///
/// | attribute  | distribution                                                                   |
/// |------------|--------------------------------------------------------------------------------|
/// | shape, color, size | uniform                                                                |
/// | background | uniform over plain, gradient, stripes, checkerboard, dots; axes uniform        |
/// | motion     | uniform over resting, linear, bouncing, orbit; headings and senses uniform     |
/// | speed      | linear 0.2–0.5, bouncing 0.8–2.0, orbit 0.3–1.2 (arc length), resting 0        |
/// | rotation   | 0 half the time, else ±0.25–1 turn                                             |
public struct SceneSampler: Sendable {
    public private(set) var rng: SplitMix64

    public init(seed: UInt64) { rng = SplitMix64(seed: seed) }

    /// The next random scene.
    public mutating func next() -> Scene {
        let shape = rng.pick(Shape.allCases)
        let color = rng.pick(NamedColor.allCases)
        let size = rng.pick(ShapeSize.allCases)
        let background = nextBackground(avoiding: color)
        // Keep the centre at least the circumradius (plus a little) from every edge, in frame fractions.
        let margin = size.fraction / 2 + 0.02
        let motion: Motion, speed: Double, start: Position
        switch rng.next(below: 4) {
        case 0:
            motion = .resting
            speed = 0
            start = Position(x: coordinate(margin, 1 - margin), y: coordinate(margin, 1 - margin))
        case 1:
            let heading = rng.pick(Direction.allCases)
            motion = .linear(toward: heading)
            speed = coordinate(0.2, 0.5)
            // Both ends of the path inside the margins.
            let (dx, dy) = (heading.vector.dx * speed, heading.vector.dy * speed)
            start = Position(x: coordinate(margin - min(dx, 0), 1 - margin - max(dx, 0)),
                             y: coordinate(margin - min(dy, 0), 1 - margin - max(dy, 0)))
        case 2:
            motion = .bouncing(toward: rng.pick(Direction.allCases))
            speed = coordinate(0.8, 2.0)
            start = Position(x: coordinate(margin, 1 - margin), y: coordinate(margin, 1 - margin))
        default:
            motion = .orbit(clockwise: rng.next(below: 2) == 0)
            speed = coordinate(0.3, 1.2)
            let radius = rng.next(in: 0.12, 0.5 - margin), angle = rng.next(in: 0, 2 * Double.pi)
            start = Position(x: rounded(0.5 + radius * cos(angle)), y: rounded(0.5 + radius * sin(angle)))
        }
        let rotation = rng.next(below: 2) == 0 ? 0 : (rng.next(below: 2) == 0 ? 1 : -1) * coordinate(0.25, 1)
        return Scene(shape: shape, color: color, size: size, background: background, motion: motion,
                     start: start, speed: speed, rotation: rotation)
    }

    private mutating func nextBackground(avoiding object: NamedColor) -> Background {
        let kind = rng.next(below: 5)
        let first = rng.pick(NamedColor.allCases.filter { $0 != object })
        let second = rng.pick(NamedColor.allCases.filter { $0 != object && $0 != first })
        let axis = rng.pick(Axis.allCases)
        switch kind {
        case 0: return .plain(first)
        case 1: return .gradient(from: first, to: second, along: axis)
        case 2: return .stripes(first, second, along: axis)
        case 3: return .checkerboard(first, second)
        default: return .dots(first, second)
        }
    }

    private mutating func coordinate(_ low: Double, _ high: Double) -> Double { rounded(rng.next(in: low, high)) }
}

/// `v` rounded to 1/1000.
private func rounded(_ v: Double) -> Double { (v * 1000).rounded() / 1000 }

import Foundation
import MediaIO

/// A point in the frame as fractions of its size: x of the width, y of the height.
/// (0, 0) is the top-left corner, (1, 1) the bottom-right; y points down.
public struct Position: Codable, Hashable, Sendable {
    public var x: Double
    public var y: Double
    public init(x: Double, y: Double) { self.x = x; self.y = y }
    public static let center = Position(x: 0.5, y: 0.5)
}

/// One of eight headings on screen.
public enum Direction: String, CaseIterable, Codable, Hashable, Sendable {
    case right, left, up, down, upRight, upLeft, downRight, downLeft

    /// Unit vector in frame fractions (y down); diagonals are (±1/√2, ±1/√2).
    public var vector: (dx: Double, dy: Double) {
        let d = 0.5.squareRoot()
        switch self {
        case .right: return (1, 0)
        case .left: return (-1, 0)
        case .up: return (0, -1)
        case .down: return (0, 1)
        case .upRight: return (d, -d)
        case .upLeft: return (-d, -d)
        case .downRight: return (d, d)
        case .downLeft: return (-d, d)
        }
    }

    /// Caption words, vertical part first: "right", "up and left".
    public var words: String {
        switch self {
        case .right, .left, .up, .down: rawValue
        case .upRight: "up and right"
        case .upLeft: "up and left"
        case .downRight: "down and right"
        case .downLeft: "down and left"
        }
    }
}

/// How the object's centre moves over the clip; `Scene.speed` sets how far.
///
/// Time `t` runs from 0 (first frame) to 1 (last frame). `p0` is `Scene.start`, `s` is `Scene.speed`:
/// the length of the centre's path over the whole clip, in frame fractions.
public enum Motion: Codable, Hashable, Sendable {
    /// Stays at `p0`.
    case resting
    /// `p0 + s·t·d` for the unit heading `d`.
    case linear(toward: Direction)
    /// Like `linear`, but the object reflects off the frame edges (the edge of its circumscribed circle
    /// touches the frame edge at the turn).
    case bouncing(toward: Direction)
    /// Circles the frame centre at the distance of `p0`, covering arc length `s` (in frame fractions);
    /// clockwise on screen or not. On a non-square frame the path is an ellipse in pixels.
    case orbit(clockwise: Bool)
}

extension Scene {
    /// Centre of the object at time `t` ∈ [0, 1] in a frame of `size`, in pixels (origin top-left, y down).
    public func center(at t: Double, in frame: Size) -> (x: Double, y: Double) {
        let w = Double(frame.width), h = Double(frame.height)
        switch motion {
        case .resting:
            return (start.x * w, start.y * h)
        case .linear(let dir):
            return ((start.x + dir.vector.dx * speed * t) * w, (start.y + dir.vector.dy * speed * t) * h)
        case .bouncing(let dir):
            let r = size.radius(in: frame)
            let x = (start.x + dir.vector.dx * speed * t) * w, y = (start.y + dir.vector.dy * speed * t) * h
            return (reflect(x, low: r, high: w - r), reflect(y, low: r, high: h - r))
        case .orbit(let clockwise):
            let rx = start.x - 0.5, ry = start.y - 0.5
            let radius = (rx * rx + ry * ry).squareRoot()
            guard radius > 0 else { return (w / 2, h / 2) }
            // Angles grow clockwise on screen because y points down.
            let angle = atan2(ry, rx) + (clockwise ? 1 : -1) * speed * t / radius
            return ((0.5 + radius * cos(angle)) * w, (0.5 + radius * sin(angle)) * h)
        }
    }

    /// The object's rotation at time `t` ∈ [0, 1], in radians, clockwise on screen.
    public func angle(at t: Double) -> Double { 2 * Double.pi * rotation * t }
}

/// `v` folded into [low, high] as a ball bouncing between two walls (a triangle wave).
func reflect(_ v: Double, low: Double, high: Double) -> Double {
    let span = high - low
    guard span > 0 else { return (low + high) / 2 }
    var u = (v - low).truncatingRemainder(dividingBy: 2 * span)
    if u < 0 { u += 2 * span }
    return low + (u <= span ? u : 2 * span - u)
}

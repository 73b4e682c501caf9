import Foundation
import MediaIO

/// The object's outline.
///
/// Every shape is drawn inside its circumscribed circle of radius `R` (see `ShapeSize`), centred on the
/// object's position, in pixel coordinates with the origin at the top-left and y pointing down.
/// At rotation 0 the triangle and the star point up, the square and the hexagon have flat top and bottom
/// edges, and the diamond stands on a point (2R tall, 1.2R wide).
///
/// | shape    | outline (vertices on or inside the circle of radius R)          | area            |
/// |----------|-----------------------------------------------------------------|-----------------|
/// | circle   | the circle itself                                               | π R²            |
/// | square   | 4 vertices at 45°, 135°, 225°, 315°; side R√2                   | 2 R²            |
/// | triangle | equilateral, apex up; side R√3                                  | (3√3/4) R²      |
/// | star     | 5 points at R, 5 inner corners at R·cos72°/cos36° ≈ 0.382 R     | 5 R r sin36°    |
/// | diamond  | rhombus with vertices (0, ±R) and (±0.6 R, 0)                   | 1.2 R²          |
/// | hexagon  | regular, vertices at 0°, 60°, ...; side R                       | (3√3/2) R²      |
public enum Shape: String, CaseIterable, Codable, Hashable, Sendable {
    case circle, square, triangle, star, diamond, hexagon

    /// The caption word.
    public var word: String { rawValue }

    /// Polygon vertices for R = 1, unrotated, in order around the outline; `nil` for the circle.
    /// Screen angles: 0 points right, +π/2 points down.
    public var unitOutline: [(x: Double, y: Double)]? {
        func ring(_ count: Int, from start: Double, radius: (Int) -> Double = { _ in 1 }) -> [(x: Double, y: Double)] {
            (0..<count).map { i in
                let a = start + 2 * Double.pi * Double(i) / Double(count)
                return (radius(i) * cos(a), radius(i) * sin(a))
            }
        }
        switch self {
        case .circle: return nil
        case .square: return ring(4, from: .pi / 4)
        case .triangle: return ring(3, from: -.pi / 2)
        case .star: return ring(10, from: -.pi / 2) { $0 % 2 == 0 ? 1 : Shape.starInnerRatio }
        case .diamond: return [(0, -1), (0.6, 0), (0, 1), (-0.6, 0)]
        case .hexagon: return ring(6, from: 0)
        }
    }

    /// Inner-corner radius of the regular five-pointed star (pentagram outline), relative to its points.
    public static let starInnerRatio = cos(2 * Double.pi / 5) / cos(Double.pi / 5)

    /// Area for R = 1 (multiply by R² for the area in pixels); see the table above.
    public var unitArea: Double {
        switch self {
        case .circle: .pi
        case .square: 2
        case .triangle: 3 * 3.0.squareRoot() / 4
        case .star: 5 * Shape.starInnerRatio * sin(Double.pi / 5)
        case .diamond: 1.2
        case .hexagon: 3 * 3.0.squareRoot() / 2
        }
    }
}

/// The object's size: the diameter 2R of its circumscribed circle as a fraction of the frame's short side.
public enum ShapeSize: String, CaseIterable, Codable, Hashable, Sendable {
    case small, medium, large

    /// 2R / min(width, height).
    public var fraction: Double {
        switch self {
        case .small: 0.15
        case .medium: 0.25
        case .large: 0.35
        }
    }

    /// Circumradius R in pixels in a frame of `frame`.
    public func radius(in frame: Size) -> Double { fraction * Double(min(frame.width, frame.height)) / 2 }
}

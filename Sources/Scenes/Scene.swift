/// One short clip, described completely: a single shape moving over a background.
///
/// Conventions: positions are fractions of the frame (`Position`, origin top-left, y down); the shape's size
/// is a fraction of the frame's short side (`ShapeSize`); time runs from 0 at the first frame to 1 at the last,
/// so the same scene rendered with more frames or at another resolution shows the same motion.
/// A scene is the ground truth for its caption (`caption`), its frames and its object masks (`SceneRenderer`).
public struct Scene: Codable, Hashable, Sendable {
    public var shape: Shape
    public var color: NamedColor
    public var size: ShapeSize
    public var background: Background
    public var motion: Motion
    /// Centre of the object at t = 0.
    public var start: Position
    /// Length of the centre's path over the clip, in frame fractions (unused when resting).
    public var speed: Double
    /// Turns of the shape about its centre over the clip, clockwise on screen; 0 for none, negative turns back.
    public var rotation: Double

    public init(shape: Shape, color: NamedColor, size: ShapeSize = .medium, background: Background,
                motion: Motion = .resting, start: Position = .center, speed: Double = 0.4, rotation: Double = 0) {
        self.shape = shape
        self.color = color
        self.size = size
        self.background = background
        self.motion = motion
        self.start = start
        self.speed = speed
        self.rotation = rotation
    }

    /// Whether the object's colour differs from every background colour, and a two-colour background's
    /// colours from each other. An edit can break this (`with(color:)`); sampled scenes never do.
    public var colorsAreDistinct: Bool {
        let bg = background.colors
        return !bg.contains(color) && Set(bg).count == bg.count
    }

    /// The same scene with another object colour (a "perfect" colour edit).
    public func with(color: NamedColor) -> Scene { var s = self; s.color = color; return s }
    /// The same scene with another shape.
    public func with(shape: Shape) -> Scene { var s = self; s.shape = shape; return s }
    /// The same scene with another background.
    public func with(background: Background) -> Scene { var s = self; s.background = background; return s }
    /// The same scene with another object size.
    public func with(size: ShapeSize) -> Scene { var s = self; s.size = size; return s }
}

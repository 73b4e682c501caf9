import Foundation
import MediaIO

/// The project's own sample clips (`Samples/`): a fixed set of scenes rendered to MP4 with caption sidecars.
/// `make samples` (`ctxedit samples --out Samples`) regenerates them bit for bit from this list.
public enum SampleClips {
    public struct Sample: Sendable {
        public let name: String
        public let scene: Scene
    }

    public static let size = Size(width: 128, height: 128)
    public static let frameCount = 16
    public static let frameRate = 8.0

    public static let all: [Sample] = [
        Sample(name: "red-circle", scene: Scene(shape: .circle, color: .red, size: .medium, background: .plain(.gray),
                                                motion: .linear(toward: .right), start: Position(x: 0.25, y: 0.5), speed: 0.5)),
        Sample(name: "yellow-star", scene: Scene(shape: .star, color: .yellow, size: .large,
                                                 background: .gradient(from: .purple, to: .blue, along: .vertical),
                                                 motion: .bouncing(toward: .downRight), start: Position(x: 0.35, y: 0.35), speed: 0.8)),
        Sample(name: "green-triangle", scene: Scene(shape: .triangle, color: .green, size: .medium,
                                                    background: .stripes(.white, .gray, along: .horizontal),
                                                    motion: .orbit(clockwise: true), start: Position(x: 0.5, y: 0.25), speed: 0.6)),
        Sample(name: "orange-square", scene: Scene(shape: .square, color: .orange, size: .small,
                                                   background: .checkerboard(.black, .white),
                                                   motion: .linear(toward: .up), start: Position(x: 0.5, y: 0.75), speed: 0.5,
                                                   rotation: 0.25)),
    ]

    /// Renders every sample into `folder` as `NAME.mp4` + `NAME.txt` (the caption). Returns the written clip paths.
    @discardableResult
    public static func write(to folder: String) throws -> [String] {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        return try all.map { sample in
            let clip = SceneRenderer.render(sample.scene, size: size, frames: frameCount)
            let path = (folder as NSString).appendingPathComponent(sample.name + ".mp4")
            try VideoWriter.write(clip.frames, frameRate: frameRate, to: path)
            try AtomicOutput.write(Data((sample.scene.caption + "\n").utf8), to: (folder as NSString).appendingPathComponent(sample.name + ".txt"))
            return path
        }
    }
}

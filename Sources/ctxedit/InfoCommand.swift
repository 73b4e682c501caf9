import ArgumentParser
import Foundation
import MediaIO

/// `ctxedit info VIDEO...`: what the reader finds in each clip.
struct InfoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "info",
        abstract: "Print container, codec, size, frame rate, frame count, duration and rotation of clips.",
        discussion: """
        Examples:
          ctxedit info Samples/*.mp4
          ctxedit info phone.mov frames/ --json
        """
    )

    @Argument(help: "Clips (MP4, MOV, AVI, WebM, GIF, ...) or folders of numbered PNG/JPEG frames.")
    var videos: [String]

    @Flag(help: "Print one JSON object per clip instead of a table.")
    var json = false

    func run() throws {
        var failed = 0
        for path in videos {
            do {
                let info = try VideoReader.info(path)
                print(json ? Self.json(info) : Self.table(info))
            } catch {
                failed += 1
                FileHandle.standardError.write(Data("error: \(error)\n".utf8))
            }
        }
        if failed > 0 { throw ExitCode.failure }
    }

    static func table(_ i: VideoInfo) -> String {
        let fps = String(format: "%.3f", i.frameRate).replacingOccurrences(of: #"\.?0+$"#, with: "", options: .regularExpression)
        return """
        \(i.path)
          container  \(i.container)
          codec      \(i.codec)
          size       \(i.size)
          fps        \(fps)\(i.frameRateKnown ? "" : " (assumed; the input states none)")
          frames     \(i.frameCount)
          duration   \(String(format: "%.3f", i.duration)) s
          rotation   \(i.rotation)°\(i.rotation == 0 ? "" : " (applied: frames are read upright)")
        """
    }

    static func json(_ i: VideoInfo) -> String {
        let fields: [String: Any] = [
            "path": i.path, "container": i.container, "codec": i.codec, "width": i.size.width, "height": i.size.height,
            "fps": i.frameRate, "fpsKnown": i.frameRateKnown, "frames": i.frameCount, "duration": i.duration,
            "rotation": i.rotation,
        ]
        let data = (try? JSONSerialization.data(withJSONObject: fields, options: [.sortedKeys])) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }
}

import ArgumentParser
import Batch
import Foundation
import MediaIO

/// `ctxedit strip A B ... -o strip.png`: clips side by side, one row each.
struct StripCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "strip",
        abstract: "Write a PNG contact sheet: one row per clip, frames spread evenly over each clip.",
        discussion: """
        Given a pipeline's output folder (it holds ctxedit-run.json), writes one strip per clip instead: the source row, then one row per finished edit, as OUT/CLIP/strip.png (or DIR/CLIP.png with -o DIR).

        Examples:
          ctxedit strip Samples/red-circle.mp4 edited.mp4 -o strip.png
          ctxedit strip Samples/*.mp4 --frames 6 --height 96 -o samples.png
          ctxedit strip out/samples              # out/samples/CLIP/strip.png
          ctxedit strip out/samples -o strips/   # strips/CLIP.png
        """
    )

    @Argument(help: "Clips or frame folders, one row each, top to bottom; or one pipeline output folder.")
    var videos: [String]

    @Option(name: .shortAndLong, help: "Output PNG (for a pipeline output folder: a folder for CLIP.png files).")
    var output: String?

    @Option(help: "Frames (columns) per row.")
    var frames = 8

    @Option(help: "Cell height in pixels (default: the tallest frame, at most 256).")
    var height: Int?

    @Option(help: "Gap between cells in pixels.")
    var gap = 4

    func validate() throws {
        if let height, height <= 0 { throw ValidationError("--height must be positive (got \(height)).") }
        if gap < 0 { throw ValidationError("--gap must not be negative (got \(gap)).") }
        if pipelineFolder != nil { return }
        guard let output else { throw ValidationError("give the output PNG with -o strip.png.") }
        if (output as NSString).pathExtension.lowercased() != "png" {
            throw ValidationError("the strip is a PNG; give an output name ending in .png (got \(output)).")
        }
    }

    /// The one argument, when it is a pipeline's output folder.
    var pipelineFolder: String? {
        videos.count == 1 && OutputLayout.isPipelineOutput(videos[0]) ? videos[0] : nil
    }

    func run() throws {
        if let folder = pipelineFolder { return try pipelineStrips(folder) }
        guard let output else { throw ValidationError("give the output PNG with -o strip.png.") }
        let result = try ContactSheet.write(clips: videos, to: output, count: frames, cellHeight: height, gap: gap)
        for warning in result.warnings { FileHandle.standardError.write(Data("warning: \(warning)\n".utf8)) }
        print("wrote \(output) (\(result.sheet.width)x\(result.sheet.height), \(videos.count) row(s) of up to \(frames) frames)")
    }

    /// One strip per clip folder of a pipeline run.
    func pipelineStrips(_ folder: String) throws {
        let clips = PipelineStrip.clipFolders(in: folder)
        if clips.isEmpty { throw ValidationError("\(folder) holds no finished clip yet; run the pipeline first.") }
        if let output { try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true) }
        for clip in clips {
            let target = output.map { ($0 as NSString).appendingPathComponent((clip as NSString).lastPathComponent + ".png") }
            let written = try PipelineStrip.write(clipFolder: clip, to: target, frames: frames, cellHeight: height, gap: gap)
            print("wrote \(written.path) (source + \(written.rows - 1) edit row(s))")
        }
    }
}

import ArgumentParser
import Foundation
import MediaIO

/// `ctxedit strip A B ... -o strip.png`: clips side by side, one row each.
struct StripCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "strip",
        abstract: "Write a PNG contact sheet: one row per clip, frames spread evenly over each clip."
    )

    @Argument(help: "Clips or frame folders, one row each, top to bottom.")
    var videos: [String]

    @Option(name: .shortAndLong, help: "Output PNG.")
    var output: String

    @Option(help: "Frames (columns) per row.")
    var frames = 8

    @Option(help: "Cell height in pixels (default: the tallest frame, at most 256).")
    var height: Int?

    @Option(help: "Gap between cells in pixels.")
    var gap = 4

    func validate() throws {
        if let height, height <= 0 { throw ValidationError("--height must be positive (got \(height)).") }
        if gap < 0 { throw ValidationError("--gap must not be negative (got \(gap)).") }
        if (output as NSString).pathExtension.lowercased() != "png" {
            throw ValidationError("the strip is a PNG; give an output name ending in .png (got \(output)).")
        }
    }

    func run() throws {
        let result = try ContactSheet.write(clips: videos, to: output, count: frames, cellHeight: height, gap: gap)
        for warning in result.warnings { FileHandle.standardError.write(Data("warning: \(warning)\n".utf8)) }
        print("wrote \(output) (\(result.sheet.width)x\(result.sheet.height), \(videos.count) row(s) of up to \(frames) frames)")
    }
}

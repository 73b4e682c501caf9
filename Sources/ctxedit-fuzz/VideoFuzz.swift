import Foundation
import MediaIO

/// A clip from anywhere: mutated, truncated, misnamed. The bytes are written with an extension chosen by their
/// length (so a mutation that changes the length also changes how FFmpeg is asked to read it: a wrong extension),
/// then probed (`VideoReader.info`) and read twice with the selections a pipeline uses.
enum VideoFuzz {
    static let extensions = ["mp4", "avi", "mkv", "mov", "webm", "gif", "png", "jpg", "m4v", "txt", ""]

    /// Inputs are cut here (the seeds are small clips; FFmpeg's own size limits stay in force).
    static let maxBytes = 1 << 20

    static func run(_ data: Data, _ context: FuzzContext) throws -> String {
        let ext = extensions[data.count % extensions.count]
        let path = context.write(data.prefix(maxBytes), to: ext.isEmpty ? "clip" : "clip.\(ext)")
        let info: VideoInfo
        do { info = try VideoReader.info(path) } catch { try requireNamesFile(error, path) }
        try require(info.size.width >= 0 && info.size.height >= 0 && info.frameCount >= 0,
                    "info has negative numbers: \(info)")
        try require(info.frameRate.isFinite && info.frameRate > 0, "info frame rate \(info.frameRate)")

        // The default edit selection, small: the first 4 frames, short side 32.
        let first = try read(path, FrameSelection(count: 4, size: .shortSide(32)))
        // A pipeline's richer selection: a start time, a stride, crop margins and an exact size.
        let second = try read(path, FrameSelection(count: 3, stride: 2, start: .seconds(0.1),
                                                   crop: .margins(left: 2, top: 2, right: 2, bottom: 2),
                                                   size: .exact(width: 24, height: 16)))
        return "\(info.container)/\(info.codec) \(info.size) \(info.frameCount) frame(s); read \(first) and \(second)"
    }

    static func read(_ path: String, _ selection: FrameSelection) throws -> String {
        do {
            let clip = try VideoReader.read(path, selection: selection)
            try require(!clip.frames.isEmpty, "a clip with no frames was returned")
            try require(clip.frames.count <= selection.count ?? .max, "\(clip.frames.count) frames for \(selection)")
            try require(clip.frames.count == clip.sourceIndices.count, "frames and indices differ in number")
            let size = clip.frames[0].size
            for frame in clip.frames {
                try require(frame.size == size && frame.width % 8 == 0 && frame.height % 8 == 0,
                            "frame size \(frame.size) (first \(size))")
            }
            let batch = clip.batch
            try require(batch.values.allSatisfy { $0 >= -1 && $0 <= 1 }, "batch values outside [-1, 1]")
            return "\(clip.frames.count)×\(size)"
        } catch let error as MediaError {
            try require(error.description.contains(path), "error does not name the file \(path): \(error)")
            return "refused"
        }
    }
}

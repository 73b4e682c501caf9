import CFFmpeg
import Foundation

/// PNG stills through libavcodec's PNG encoder, written atomically.
public enum ImageWriter {
    /// Writes `image` as a PNG at `path` (temporary file, then rename; never over an input).
    public static func writePNG(_ image: RGBImage, to path: String, inputs: [String] = []) throws {
        try AtomicOutput.write(to: path, inputs: inputs) { temp in try encodePNG(image, to: temp) }
    }

    static func encodePNG(_ image: RGBImage, to path: String) throws {
        let encoder = try FrameEncoder(path: path, encoders: ["png"], muxer: nil, width: image.width, height: image.height,
                                       pixelFormat: AV_PIX_FMT_RGB24, timeBase: AVRational(num: 1, den: 25),
                                       frameRate: AVRational(num: 25, den: 1))
        try encoder.encode(image, pts: 0)
        try encoder.finish()
        do { try encoder.packets.write(to: URL(fileURLWithPath: path)) } catch {
            throw MediaError.writeFailed(path: path, reason: error.localizedDescription)
        }
    }

    /// Reads one still picture (PNG, JPEG, ...) upright as RGB.
    public static func read(_ path: String) throws -> RGBImage {
        let clip = try VideoReader.read(path, selection: FrameSelection(count: 1))
        return clip.frames[0]
    }
}

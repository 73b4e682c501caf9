import CFFmpeg
import Foundation

/// Writes frames as a clip, choosing the format from the extension:
/// `.mp4` / `.mov` / `.mkv` / `.m4v`: H.264 (libx264, CRF 16) where this libavcodec has it, else MPEG-4 Part 2;
/// `.webm`: VP9 (libvpx-vp9);
/// `.gif`: animated GIF with one palette generated from all frames; `.png`: a single still.
/// Outputs are written atomically and never over an input.
public enum VideoWriter {
    public enum Format: String, Sendable {
        case mp4, gif, png

        public init?(path: String) {
            switch (path as NSString).pathExtension.lowercased() {
            case "mp4", "m4v", "mov", "mkv", "webm": self = .mp4
            case "gif": self = .gif
            case "png": self = .png
            default: return nil
            }
        }
    }

    /// Writes `frames` (all of one size) at `frameRate` frames per second.
    /// Odd widths or heights are padded by one repeated column / row (4:2:0 video needs even sides).
    /// - Parameter rotation: degrees clockwise to store as display metadata (MP4/MOV only), e.g. for phone-style clips.
    /// - Returns: the encoder used (e.g. `libx264`).
    @discardableResult
    public static func write(_ frames: [RGBImage], frameRate: Double, to path: String,
                             inputs: [String] = [], rotation: Int = 0) throws -> String {
        guard let format = Format(path: path) else {
            throw MediaError.writeFailed(path: path, reason: "unknown output type; use a .mp4, .mov, .mkv, .gif or .png name")
        }
        guard let first = frames.first else { throw MediaError.writeFailed(path: path, reason: "no frames to write") }
        if let odd = frames.firstIndex(where: { $0.size != first.size }) {
            throw MediaError.writeFailed(path: path, reason: "frame \(odd) is \(frames[odd].size) but frame 0 is \(first.size)")
        }
        guard frameRate > 0, frameRate.isFinite else {
            throw MediaError.writeFailed(path: path, reason: "frame rate \(frameRate) is not positive")
        }
        var used = ""
        try AtomicOutput.write(to: path, inputs: inputs) { temp in
            switch format {
            case .mp4: used = try writeVideo(frames, frameRate: frameRate, temp: temp, muxer: muxerName(path), rotation: rotation)
            case .gif: used = try writeGIF(frames, frameRate: frameRate, temp: temp)
            case .png:
                guard frames.count == 1 else {
                    throw MediaError.writeFailed(path: path, reason: "a .png holds one picture but there are \(frames.count) frames; use .mp4 or .gif, or write stills one by one")
                }
                try ImageWriter.encodePNG(first, to: temp)
                used = "png"
            }
        }
        return used
    }

    static func muxerName(_ path: String) -> String {
        switch (path as NSString).pathExtension.lowercased() {
        case "mov": return "mov"
        case "mkv": return "matroska"
        case "webm": return "webm"
        default: return "mp4"
        }
    }

    static func rational(_ fps: Double) -> AVRational { av_d2q(fps, 100_000) }

    private static func writeVideo(_ frames: [RGBImage], frameRate: Double, temp: String, muxer: String,
                                   rotation: Int) throws -> String {
        // 4:2:0 chroma needs even sides: an odd last column/row is repeated.
        let w = frames[0].width + frames[0].width % 2, h = frames[0].height + frames[0].height % 2
        let rate = rational(frameRate)
        // WebM holds VP9 (constant quality 20); the others H.264 (CRF 16), or MPEG-4 Part 2 without libx264.
        let webm = muxer == "webm"
        let encoder = try FrameEncoder(path: temp, encoders: webm ? ["libvpx-vp9"] : ["libx264", "mpeg4"], muxer: muxer,
                                       width: w, height: h, pixelFormat: AV_PIX_FMT_YUV420P, timeBase: av_inv_q(rate),
                                       frameRate: rate,
                                       options: webm ? ["crf": "20", "b": "0", "deadline": "good", "cpu-used": "4"]
                                           : ["crf": "16", "preset": "medium"],
                                       rotation: rotation)
        for (i, image) in frames.enumerated() {
            try encoder.encode(image.paddedToEven(), pts: Int64(i))
        }
        try encoder.finish()
        return encoder.encoderName
    }

    private static func writeGIF(_ frames: [RGBImage], frameRate: Double, temp: String) throws -> String {
        var palette = MedianCutPalette(images: frames, maxColors: 256)
        let w = frames[0].width, h = frames[0].height
        // GIF delays are in hundredths of a second.
        let encoder = try FrameEncoder(path: temp, encoders: ["gif"], muxer: "gif", width: w, height: h,
                                       pixelFormat: AV_PIX_FMT_PAL8, timeBase: AVRational(num: 1, den: 100),
                                       frameRate: rational(frameRate))
        for (i, image) in frames.enumerated() {
            try encoder.encode(indices: palette.indices(of: image), palette: palette.colors,
                               pts: Int64((Double(i) * 100 / frameRate).rounded()))
        }
        try encoder.finish()
        return encoder.encoderName
    }
}

extension RGBImage {
    /// The picture grown to even width and height by repeating the last column / row.
    func paddedToEven() -> RGBImage {
        if width % 2 == 0 && height % 2 == 0 { return self }
        var out = RGBImage(width: width + width % 2, height: height + height % 2)
        out.paste(self, x: 0, y: 0)
        for y in 0..<out.height {
            for x in 0..<out.width where x >= width || y >= height {
                out[x, y] = self[min(x, width - 1), min(y, height - 1)]
            }
        }
        return out
    }
}

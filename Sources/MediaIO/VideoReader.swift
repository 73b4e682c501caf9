import Foundation

/// What the reader found in a clip or a folder of frames.
public struct VideoInfo: Equatable, Sendable {
    public var path: String
    /// Container (FFmpeg demuxer name, or `frames` for a folder of images).
    public var container: String
    public var codec: String
    /// Upright size (after rotation metadata).
    public var size: Size
    public var frameRate: Double
    /// Whether the frame rate came from the file (`false`: a frame folder or a stream without one; the default was used).
    public var frameRateKnown: Bool
    /// Seconds.
    public var duration: Double
    /// Frames in the stream, counted.
    public var frameCount: Int
    /// Degrees clockwise applied to make frames upright.
    public var rotation: Int
}

/// A decoded selection of frames.
public struct Clip: Sendable {
    public var info: VideoInfo
    /// Upright, cropped and resized selected frames.
    public var frames: [RGBImage]
    /// Source indices of `frames`.
    public var sourceIndices: [Int]
    /// Frame rate of the selection as a clip (source rate / stride).
    public var frameRate: Double
    /// Frames the decoder could not decode (corrupt or truncated data).
    public var badFrames: Int
    /// Things the user should know (bad frames, fewer frames than asked).
    public var warnings: [String]

    /// The frames as model input, planes in [-1, 1].
    public var batch: FrameBatch { FrameBatch(images: frames, frameRate: frameRate) }
}

/// Reads clips (anything FFmpeg reads) and folders of numbered PNG/JPEG frames.
public enum VideoReader {
    /// Frame rate assumed for a folder of frames or a stream that states none.
    public static let defaultFrameRate = 8.0

    /// Probes a clip: container, codec, size, frame rate, duration, counted frames, rotation.
    public static func info(_ path: String) throws -> VideoInfo {
        try checkExists(path)
        if isDirectory(path) { return try FrameFolder(path: path).info() }
        let decoder = try StreamDecoder(path: path)
        let rate = decoder.frameRate
        let counted = decoder.countPackets()
        let frames = counted > 0 ? counted : decoder.declaredFrameCount
        let fps = rate ?? defaultFrameRate
        let size = decoder.quarterTurns % 2 == 1
            ? Size(width: decoder.codedSize.height, height: decoder.codedSize.width) : decoder.codedSize
        return VideoInfo(path: path, container: decoder.containerName, codec: decoder.codecName, size: size,
                         frameRate: fps, frameRateKnown: rate != nil,
                         duration: decoder.duration ?? Double(frames) / fps, frameCount: frames,
                         rotation: decoder.rotationDegrees)
    }

    /// Decodes the selected frames, upright, cropped and resized.
    public static func read(_ path: String, selection: FrameSelection = .all,
                            frameFolderRate: Double = defaultFrameRate) throws -> Clip {
        try checkExists(path)
        try selection.validate(path: path)
        if isDirectory(path) {
            return try FrameFolder(path: path, frameRate: frameFolderRate).read(selection: selection)
        }
        let decoder = try StreamDecoder(path: path)
        let fps = decoder.frameRate ?? defaultFrameRate
        let preparer = FramePreparer(selection: selection, path: path)
        var frames: [RGBImage] = []
        var indices: [Int] = []
        var lastSize: Size?
        var conformed: [Int] = []
        let pass = try decoder.decode { index, image in
            lastSize = image.size
            let (take, more) = selection.selects(index, frameRate: fps, alreadySelected: frames.count)
            if take {
                var frame = try preparer.prepare(image)
                // The picture size can change mid-stream (VP9 and H.264 allow it; so does corrupt data): later
                // frames are brought to the first selected frame's size, so the clip stays one size.
                if let size = frames.first?.size, frame.size != size {
                    frame = try preparer.conform(frame, to: size)
                    conformed.append(index)
                }
                frames.append(frame)
                indices.append(index)
            }
            return more
        }
        var info = VideoInfo(path: path, container: decoder.containerName, codec: decoder.codecName,
                             size: lastSize ?? decoder.codedSize, frameRate: fps, frameRateKnown: decoder.frameRate != nil,
                             duration: decoder.duration ?? Double(pass.decoded) / fps, frameCount: pass.decoded,
                             rotation: decoder.rotationDegrees)
        if pass.decoded == 0 {
            throw MediaError.noFrames(path: path, reason: pass.lastError ?? "the stream holds no pictures")
        }
        info.frameCount = max(pass.decoded, decoder.declaredFrameCount)
        var clip = try finish(path: path, info: info, frames: frames, indices: indices, decoded: pass.decoded,
                              bad: pass.bad, lastError: pass.lastError, selection: selection, fps: fps)
        if let first = conformed.first, let size = frames.first?.size {
            clip.warnings.append("\(path): the picture size changes in the stream; \(conformed.count) frame(s) from frame \(first) were resized to \(size) like the first.")
        }
        return clip
    }

    static func finish(path: String, info: VideoInfo, frames: [RGBImage], indices: [Int], decoded: Int, bad: Int,
                       lastError: String?, selection: FrameSelection, fps: Double) throws -> Clip {
        var warnings: [String] = []
        if bad > 0 {
            warnings.append("\(path): \(bad) frame(s) could not be decoded (\(lastError ?? "corrupt data")); using the \(decoded) readable frame(s).")
        }
        guard !frames.isEmpty else {
            let first = selection.startFrame(frameRate: fps)
            throw MediaError.invalidSelection(path: path,
                reason: "the selection starts at frame \(first) but the clip has only \(decoded) readable frame(s); choose an earlier start.")
        }
        if let count = selection.count, frames.count < count {
            warnings.append("\(path): asked for \(count) frames but only \(frames.count) exist from frame \(indices.first ?? 0) with stride \(selection.stride); using \(frames.count).")
        }
        return Clip(info: info, frames: frames, sourceIndices: indices, frameRate: fps / Double(selection.stride),
                    badFrames: bad, warnings: warnings)
    }

    static func checkExists(_ path: String) throws {
        guard FileManager.default.fileExists(atPath: path) else { throw MediaError.missingFile(path: path) }
    }

    static func isDirectory(_ path: String) -> Bool {
        var isDir: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDir) && isDir.boolValue
    }
}

/// Applies a selection's crop box and size to upright frames.
struct FramePreparer {
    let selection: FrameSelection
    let path: String
    let resampler = PixelConverter()

    func prepare(_ image: RGBImage) throws -> RGBImage {
        var picture = image
        if let crop = selection.crop {
            let r = try crop.resolve(in: picture.size, path: path)
            picture = picture.cropped(x: r.x, y: r.y, width: r.width, height: r.height)
        }
        let plan = selection.size.plan(for: picture.size)
        guard let scaled = resampler.resize(picture, to: plan.scaled) else {
            throw MediaError.invalidSelection(path: path, reason: "cannot resize \(picture.size) to \(plan.scaled).")
        }
        return scaled.cropped(x: plan.offset.x, y: plan.offset.y, width: plan.output.width, height: plan.output.height)
    }

    /// A prepared frame of another size brought to `size`: scaled to cover it, then center-cropped.
    func conform(_ image: RGBImage, to size: Size) throws -> RGBImage {
        let f = max(Double(size.width) / Double(image.width), Double(size.height) / Double(image.height))
        let scaled = Size(width: max(size.width, Int((Double(image.width) * f).rounded())),
                          height: max(size.height, Int((Double(image.height) * f).rounded())))
        guard let resized = resampler.resize(image, to: scaled) else {
            throw MediaError.invalidSelection(path: path, reason: "cannot resize \(image.size) to \(scaled).")
        }
        return resized.cropped(x: (scaled.width - size.width) / 2, y: (scaled.height - size.height) / 2,
                               width: size.width, height: size.height)
    }
}

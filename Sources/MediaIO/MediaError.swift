import Foundation

/// Everything that can go wrong reading or writing media. Each case names the file and says how to fix it.
public enum MediaError: Error, Equatable, CustomStringConvertible, LocalizedError {
    /// The path does not exist.
    case missingFile(path: String)
    /// FFmpeg could not open or recognise the file (its message is in `reason`).
    case notAVideo(path: String, reason: String)
    /// The file opened, but not a single frame could be decoded.
    case noFrames(path: String, reason: String)
    /// A folder of frames whose images differ in size; `frame` is the first odd one out.
    case mixedFrameSizes(path: String, frame: String, expected: Size, found: Size)
    /// A requested size, crop or selection that cannot be satisfied.
    case invalidSelection(path: String, reason: String)
    /// Writing an output failed (FFmpeg's or the system's message in `reason`).
    case writeFailed(path: String, reason: String)
    /// The output path is one of the inputs; ctxedit never overwrites an input.
    case outputIsInput(path: String)

    public var description: String {
        switch self {
        case .missingFile(let path):
            return "\(path): no such file or folder. Check the path (relative paths start at \(FileManager.default.currentDirectoryPath))."
        case .notAVideo(let path, let reason):
            return "\(path): not a video or image FFmpeg can read (\(reason)). Give an MP4, MOV, AVI, WebM, GIF or a folder of numbered PNG/JPEG frames."
        case .noFrames(let path, let reason):
            return "\(path): no frame could be decoded (\(reason)). The file may be empty or corrupt; re-encode it or pick another clip."
        case .mixedFrameSizes(let path, let frame, let expected, let found):
            return "\(path): frame \(frame) is \(found) but the first frame is \(expected). All frames of a folder must have one size; resize them first."
        case .invalidSelection(let path, let reason):
            return "\(path): \(reason)"
        case .writeFailed(let path, let reason):
            return "\(path): could not write (\(reason)). Check that the folder exists and is writable and that the disk has space."
        case .outputIsInput(let path):
            return "\(path): the output path is an input; ctxedit never overwrites its inputs. Choose another output path."
        }
    }

    public var errorDescription: String? { description }

    /// The file the error is about.
    public var path: String {
        switch self {
        case .missingFile(let p), .notAVideo(let p, _), .noFrames(let p, _), .mixedFrameSizes(let p, _, _, _),
             .invalidSelection(let p, _), .writeFailed(let p, _), .outputIsInput(let p):
            return p
        }
    }
}

/// A width × height pair in pixels.
public struct Size: Hashable, Codable, Sendable, CustomStringConvertible {
    public var width: Int
    public var height: Int
    public init(width: Int, height: Int) {
        self.width = width
        self.height = height
    }
    public var description: String { "\(width)x\(height)" }
}

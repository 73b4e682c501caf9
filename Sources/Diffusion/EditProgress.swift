import Foundation

/// What the editor is doing, reported to a progress handler after each unit of work.
public struct EditProgress: Sendable, CustomStringConvertible {
    public enum Stage: String, Sendable {
        case encodePrompts = "encode prompts"
        case encodeFrames = "encode frames"
        case invert = "invert"
        /// The edit region's UNet passes (`EditRegion.auto`), one per compared noise level.
        case findRegion = "find edit region"
        case denoise = "denoise"
        case decodeFrames = "decode frames"
    }

    public var stage: Stage
    /// 1-based step within the stage (a DDIM step, or a frame chunk for the VAE stages), and the stage's step count.
    public var step: Int
    public var totalSteps: Int
    /// Which edit (0-based) a denoise or decode step belongs to.
    public var edit: Int?
    /// Seconds the last step took.
    public var secondsPerStep: Double

    public var description: String {
        let which = edit.map { " edit \($0 + 1)" } ?? ""
        return "\(stage.rawValue)\(which) \(step)/\(totalSteps) (\(String(format: "%.2f", secondsPerStep)) s/step)"
    }
}

/// Returns `false` to stop the run at the next check (between steps and between frame chunks).
public typealias ProgressHandler = (EditProgress) -> Bool

public enum EditError: Error, Equatable, CustomStringConvertible {
    /// The progress handler asked to stop.
    case cancelled
    case invalidRequest(String)

    public var description: String {
        switch self {
        case .cancelled: return "stopped on request; nothing was written"
        case .invalidRequest(let why): return why
        }
    }
}

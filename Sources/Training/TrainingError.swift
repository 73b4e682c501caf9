import Foundation

/// Errors of training runs and their checkpoints: each names the file and says how to go on.
public enum TrainingError: Error, Equatable, CustomStringConvertible, LocalizedError {
    /// The folder has no `state.json` (never saved, or not a checkpoint folder).
    case noCheckpoint(folder: String)
    /// A checkpoint file is unreadable or malformed.
    case badCheckpoint(path: String, reason: String)
    /// The checkpoint holds other parameters (or shapes) than the model being trained.
    case checkpointMismatch(path: String, reason: String)
    /// Writing a checkpoint failed.
    case writeFailed(path: String, reason: String)

    public var description: String {
        switch self {
        case .noCheckpoint(let folder):
            return "\(folder): no training checkpoint (state.json) here. Start without resuming, or pass the folder a previous run saved to."
        case .badCheckpoint(let path, let reason):
            return "\(path): unreadable checkpoint: \(reason). Resume from an earlier checkpoint or start again."
        case .checkpointMismatch(let path, let reason):
            return "\(path): \(reason). The checkpoint was saved for another model or another choice of trained layers; resume with the same model and options."
        case .writeFailed(let path, let reason):
            return "\(path): cannot write the checkpoint: \(reason). Check the folder exists, is writable and has space."
        }
    }

    public var errorDescription: String? { description }
}

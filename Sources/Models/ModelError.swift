import Foundation

/// Errors loading a model: each names the file (and key) and says how to fix it.
public enum ModelError: Error, Equatable, CustomStringConvertible, LocalizedError {
    /// A file the model needs is not there (`model_index.json`, `config.json`, weights, vocabulary).
    case missingFile(path: String, hint: String)
    /// `config.json` (or another JSON file) is malformed or has a value of the wrong type.
    case badConfig(path: String, reason: String)
    /// The checkpoint lacks a tensor the architecture needs.
    case missingKey(file: String, key: String, expectedShape: [Int])
    /// A tensor's shape differs from what the config implies.
    case shapeMismatch(file: String, key: String, expected: [Int], found: [Int])
    /// Tensors the architecture does not use (usually a config that does not match the weights).
    case unexpectedKeys(file: String, keys: [String])
    /// The weights file itself is unreadable (safetensors' message in `reason`).
    case unreadableWeights(path: String, reason: String)

    public var description: String {
        switch self {
        case .missingFile(let path, let hint):
            return "\(path): missing. \(hint)"
        case .badConfig(let path, let reason):
            return "\(path): \(reason)"
        case .missingKey(let file, let key, let shape):
            return "\(file): tensor \(key) (shape \(shape)) is missing. The weights do not match config.json; use the config that came with these weights."
        case .shapeMismatch(let file, let key, let expected, let found):
            return "\(file): tensor \(key) has shape \(found) but config.json implies \(expected). The weights do not match the config."
        case .unexpectedKeys(let file, let keys):
            let shown = keys.prefix(5).joined(separator: ", ") + (keys.count > 5 ? ", … (\(keys.count) in all)" : "")
            return "\(file): tensors the architecture does not use: \(shown). The weights do not match config.json."
        case .unreadableWeights(let path, let reason):
            return "\(path): \(reason)"
        }
    }

    public var errorDescription: String? { description }
}

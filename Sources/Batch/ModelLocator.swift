import Foundation

/// The one place that decides which model folder a command uses, so a bundled default can be plugged in later.
public enum ModelLocator {
    /// The folder to load: the one asked for (a `--model` flag, then a pipeline's `model`), else the default model.
    public static func resolve(_ requested: String?) throws -> String {
        if let requested, !requested.isEmpty { return requested }
        if let bundled = defaultModel() { return bundled }
        throw ModelLocatorError.noDefaultModel
    }

    /// The default model's folder; none is bundled in this build yet.
    public static func defaultModel() -> String? { nil }
}

public enum ModelLocatorError: Error, Equatable, CustomStringConvertible, LocalizedError {
    case noDefaultModel

    public var description: String {
        "no model given and no default model is bundled in this build; pass --model DIR (a diffusers-layout Stable Diffusion folder) or set model: in the pipeline file"
    }

    public var errorDescription: String? { description }
}

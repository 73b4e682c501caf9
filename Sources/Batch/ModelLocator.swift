import Foundation

/// The one place that decides which model folder a command uses: the one asked for, else the embedded default
/// model (`Models/default`, trained by `make model`, committed with the repository).
public enum ModelLocator {
    /// Environment variable naming a default-model folder to use instead of the embedded one.
    public static let environmentKey = "CTXEDIT_DEFAULT_MODEL"

    /// The folder to load: the one asked for (a `--model` flag, then a pipeline's `model`), else the default model.
    public static func resolve(_ requested: String?) throws -> String {
        if let requested, !requested.isEmpty { return requested }
        if let bundled = defaultModel() { return bundled }
        throw ModelLocatorError.noDefaultModel(searched: defaultModelCandidates())
    }

    /// The default model's folder: the first candidate that holds a `model_index.json`.
    public static func defaultModel() -> String? {
        defaultModelCandidates().first { FileManager.default.fileExists(atPath: $0 + "/model_index.json") }
    }

    /// Where the default model may be, in order: `$CTXEDIT_DEFAULT_MODEL`; `Models/default` beside the executable's
    /// checkout (`.build/<config>/ctxedit` → `../../Models/default`); in the current directory; in the source tree
    /// this binary was built from.
    public static func defaultModelCandidates() -> [String] {
        var out: [String] = []
        if let env = ProcessInfo.processInfo.environment[environmentKey], !env.isEmpty { out.append(env) }
        let executable = URL(fileURLWithPath: CommandLine.arguments.first ?? "").resolvingSymlinksInPath()
        var dir = executable.deletingLastPathComponent()
        for _ in 0..<4 {
            out.append(dir.appendingPathComponent("Models/default").path)
            dir = dir.deletingLastPathComponent()
        }
        out.append(FileManager.default.currentDirectoryPath + "/Models/default")
        // Sources/Batch/ModelLocator.swift → the checkout's root.
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        out.append(root.appendingPathComponent("Models/default").path)
        var seen = Set<String>()
        return out.map { URL(fileURLWithPath: $0).standardizedFileURL.path }.filter { seen.insert($0).inserted }
    }
}

public enum ModelLocatorError: Error, Equatable, CustomStringConvertible, LocalizedError {
    case noDefaultModel(searched: [String])

    public var description: String {
        switch self {
        case .noDefaultModel(let searched):
            "no model given and the default model folder is missing (looked for model_index.json in: \(searched.joined(separator: ", "))); run `make model` to train it, set \(ModelLocator.environmentKey), or pass --model DIR (a diffusers-layout Stable Diffusion folder) / set model: in the pipeline file"
        }
    }

    public var errorDescription: String? { description }
}

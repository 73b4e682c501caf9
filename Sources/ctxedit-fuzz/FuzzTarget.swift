import Foundation

/// The parsers `ctxedit-fuzz` exercises. Each takes arbitrary bytes, runs them through the same entry points the
/// tool uses on files from users, and either accepts them, rejects them with a typed error that names the file, or
/// reports an invariant it broke (``FuzzOutcome/unclean(_:)``). A crash is a crash: the process dies, which is what
/// libFuzzer and the regression tests detect.
public enum FuzzTarget: String, CaseIterable, Sendable {
    /// Bytes = a `.safetensors` file: `SafeTensorsFile(path:)`, every tensor through `floats`/`withRawBytes`,
    /// then `CheckpointWeights` (the loader the models use).
    case safetensors
    /// Bytes = a `config.json`, decoded as each of `UNetConfig`, `AutoencoderConfig`, `CLIPTextConfig`,
    /// `SchedulerConfig` and `AdapterConfig`; whatever decodes is built (tiny fixture weights) and run once.
    case config
    /// Bytes = a prompt (UTF-8 or not): `CLIPTokenizer.encode` with the full CLIP vocabulary fixture.
    case tokenizer
    /// Bytes = a clip, written with an extension picked by its length: `VideoReader.info` and `VideoReader.read`.
    case video
    /// Bytes = a pipeline YAML file: `Pipeline.load`, then its jobs, names and settings.
    case pipeline

    /// The target named by `CTXEDIT_FUZZ_TARGET`.
    public static var fromEnvironment: FuzzTarget? {
        ProcessInfo.processInfo.environment["CTXEDIT_FUZZ_TARGET"].flatMap(FuzzTarget.init(rawValue:))
    }

    /// Runs the target on `data`, classifying every way it can end except a crash.
    public func run(_ data: Data) -> FuzzOutcome {
        let context = FuzzContext.shared
        do {
            let summary: String
            switch self {
            case .safetensors: summary = try SafeTensorsFuzz.run(data, context)
            case .config: summary = try ConfigFuzz.run(data, context)
            case .tokenizer: summary = try TokenizerFuzz.run(data, context)
            case .video: summary = try VideoFuzz.run(data, context)
            case .pipeline: summary = try PipelineFuzz.run(data, context)
            }
            return .accepted(summary)
        } catch let error as FuzzInvariantViolation {
            return .unclean(error.message)
        } catch {
            return classify(error)
        }
    }

    /// A rejection is clean when the error is one of the module's typed errors and its message is not empty.
    /// (Each target checks separately that its messages name the file.)
    func classify(_ error: Error) -> FuzzOutcome {
        let type = String(reflecting: Swift.type(of: error))
        let text = String(describing: error)
        guard FuzzTarget.cleanErrorTypes.contains(type) else {
            return .unclean("untyped error \(type): \(text)")
        }
        guard !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            return .unclean("\(type) with an empty message")
        }
        return .rejected("\(type.split(separator: ".").last ?? ""): \(text)")
    }

    /// The typed errors of the modules under test (each names the file and carries a hint).
    static let cleanErrorTypes: Set<String> = [
        "SafeTensors.SafeTensorsError", "Models.ModelError", "Models.ConfigValueError", "MediaIO.MediaError",
        "Batch.PipelineError", "Diffusion.EditError",
    ]
}

/// How one input ended (a crash never returns).
public enum FuzzOutcome: Equatable, Sendable, CustomStringConvertible {
    /// The input was read; the text says what was found.
    case accepted(String)
    /// The input was refused with a typed error (its message).
    case rejected(String)
    /// A broken promise: an untyped error, an error that does not name the file, values out of range.
    case unclean(String)

    public var isUnclean: Bool { if case .unclean = self { true } else { false } }

    public var description: String {
        switch self {
        case .accepted(let s): "accepted: \(s)"
        case .rejected(let s): "rejected: \(s)"
        case .unclean(let s): "UNCLEAN: \(s)"
        }
    }
}

/// An invariant a target checks on what the parser returned (a wrong count, an id out of range, an error that
/// does not name its file).
struct FuzzInvariantViolation: Error {
    let message: String
    init(_ message: String) { self.message = message }
}

/// Throws ``FuzzInvariantViolation`` unless `condition` holds.
func require(_ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String) throws {
    if !condition() { throw FuzzInvariantViolation(message()) }
}

/// Rethrows `error`, first checking that its message names `path` (every file error in ctxedit does).
func requireNamesFile(_ error: Error, _ path: String) throws -> Never {
    let text = String(describing: error)
    try require(text.contains(path), "error does not name the file \(path): \(text)")
    throw error
}

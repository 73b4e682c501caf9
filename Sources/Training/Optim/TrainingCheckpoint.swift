import Foundation
import SafeTensors
import Tensors
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What a training run needs, besides tensors, to continue exactly where it stopped.
///
/// `step` counts completed optimizer updates; the schedule's multiplier for the next update is
/// `schedule.multiplier(step: step)`, and per-step randomness drawn as `TrainingRandom(seed:, stream: step)`
/// continues identically after a resume.
public struct TrainingState: Codable, Equatable, Sendable {
    public var step: Int
    public var seed: UInt64
    public var schedule: LRSchedule
    public var optimizer: AdamW.Configuration
    /// Gradient-norm clipping threshold, if any.
    public var maxGradNorm: Double?
    /// Decay of the parameters' exponential moving average (`WeightAverage`), if one is kept.
    public var averageDecay: Double?
    /// Free-form notes of the caller (model, prompt, clip), kept with the checkpoint.
    public var notes: [String: String]

    public init(step: Int = 0, seed: UInt64, schedule: LRSchedule = .constant, optimizer: AdamW.Configuration = .init(),
                maxGradNorm: Double? = nil, averageDecay: Double? = nil, notes: [String: String] = [:]) {
        self.step = step
        self.seed = seed
        self.schedule = schedule
        self.optimizer = optimizer
        self.maxGradNorm = maxGradNorm
        self.averageDecay = averageDecay
        self.notes = notes
    }

    /// The learning rate of the next update.
    public var learningRate: Double { optimizer.learningRate * schedule.multiplier(step: step) }
}

/// Training checkpoints in a folder: `state.json` (the `TrainingState` and the name of its tensor file) and
/// `checkpoint-STEP.safetensors` with, per trainable parameter key K:
/// `param/K` (its value), `adamw.m/K`, `adamw.v/K` (F32, its shape), `adamw.step/K` (I64 scalar) and, when the run
/// keeps a `WeightAverage`, `ema/K` (F32, its shape).
///
/// Saving is atomic as a whole: the tensor file is written under a new name (atomically), then `state.json` is
/// replaced atomically to point at it, then older tensor files are removed. A crash at any point leaves the
/// previous or the new checkpoint, complete.
public enum TrainingCheckpoint {
    public static let stateFileName = "state.json"
    static let format = 1

    struct StateFile: Codable {
        var format: Int
        var tensors: String
        var state: TrainingState
    }

    /// Saves `parameters`' values and `optimizer`'s moments (and the parameters' `average`, if kept) with `state`
    /// into `folder` (created if needed).
    public static func save(_ state: TrainingState, parameters: [(key: String, variable: Variable)], optimizer: AdamW,
                            average: [String: Tensor] = [:], to folder: String) throws(TrainingError) {
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        } catch {
            throw .writeFailed(path: folder, reason: error.localizedDescription)
        }
        let name = String(format: "checkpoint-%08d.safetensors", state.step)
        let tensorPath = folder + "/" + name
        var writer = SafeTensorsWriter(path: tensorPath, metadata: ["format": "ctxedit-training", "step": String(state.step)])
        do {
            for (key, v) in parameters {
                try writer.add("param/" + key, shape: v.shape, values: v.value.scalars)
                if let s = optimizer.state[key] {
                    try writer.add("adamw.m/" + key, shape: v.shape, values: s.m)
                    try writer.add("adamw.v/" + key, shape: v.shape, values: s.v)
                    let bytes = withUnsafeBytes(of: Int64(s.step).littleEndian) { Array($0) }
                    try writer.add("adamw.step/" + key, shape: [], dtype: .i64, rawBytes: bytes)
                }
                if let a = average[key] { try writer.add("ema/" + key, shape: a.shape, values: a.scalars) }
            }
            try writer.write()
        } catch {
            throw .writeFailed(path: tensorPath, reason: error.description)
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let json: Data
        do { json = try encoder.encode(StateFile(format: format, tensors: name, state: state)) } catch {
            throw .writeFailed(path: folder + "/" + stateFileName, reason: error.localizedDescription)
        }
        try writeAtomically(Array(json) + [UInt8(ascii: "\n")], to: folder + "/" + stateFileName)
        // Older tensor files are no longer referenced.
        let others = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        for file in others where file.hasPrefix("checkpoint-") && file.hasSuffix(".safetensors") && file != name {
            try? FileManager.default.removeItem(atPath: folder + "/" + file)
        }
    }

    /// Reads `folder`'s checkpoint into `parameters` (values) and `optimizer` (moments and step counts) and returns
    /// its state and the parameters' averages it holds (none from a run that kept none). Every parameter must be in
    /// the checkpoint with its shape, and nothing else may be.
    public static func load(from folder: String, parameters: [(key: String, variable: Variable)],
                            optimizer: AdamW) throws(TrainingError) -> (state: TrainingState, average: [String: Tensor]) {
        let statePath = folder + "/" + stateFileName
        guard let data = FileManager.default.contents(atPath: statePath) else { throw .noCheckpoint(folder: folder) }
        let file: StateFile
        do { file = try JSONDecoder().decode(StateFile.self, from: data) } catch {
            throw .badCheckpoint(path: statePath, reason: "\(error)")
        }
        guard file.format == format else {
            throw .badCheckpoint(path: statePath, reason: "format \(file.format), this version reads format \(format)")
        }
        let tensorPath = folder + "/" + file.tensors
        let tensors: SafeTensorsFile
        do { tensors = try SafeTensorsFile(path: tensorPath) } catch {
            throw .badCheckpoint(path: tensorPath, reason: error.description)
        }
        let expected = Set(parameters.map { "param/" + $0.key })
        let stored = Set(tensors.names.filter { $0.hasPrefix("param/") })
        if let extra = stored.subtracting(expected).sorted().first {
            throw .checkpointMismatch(path: tensorPath, reason: "it holds \(extra.dropFirst(6)), which this model does not train")
        }
        var restored: [(Variable, Tensor, AdamW.State?)] = []
        var average: [String: Tensor] = [:]
        for (key, v) in parameters {
            do {
                guard tensors.names.contains("param/" + key) else {
                    throw TrainingError.checkpointMismatch(path: tensorPath, reason: "it lacks the trained parameter \(key)")
                }
                let shape = try tensors.entry("param/" + key).shape
                guard shape == v.shape else {
                    throw TrainingError.checkpointMismatch(path: tensorPath, reason: "\(key) has shape \(shape), the model's is \(v.shape)")
                }
                let value = Tensor(shape: shape, scalars: try tensors.floats("param/" + key, shape: shape))
                var state: AdamW.State?
                if tensors.names.contains("adamw.step/" + key) {
                    let step = try tensors.withRawBytes("adamw.step/" + key) { raw -> Int64 in
                        guard raw.count == 8 else { throw TrainingError.badCheckpoint(path: tensorPath, reason: "adamw.step/\(key) is not one int64") }
                        return Int64(littleEndian: raw.loadUnaligned(as: Int64.self))
                    }
                    state = AdamW.State(step: Int(step), m: try tensors.floats("adamw.m/" + key, shape: shape),
                                        v: try tensors.floats("adamw.v/" + key, shape: shape))
                }
                if tensors.names.contains("ema/" + key) {
                    average[key] = Tensor(shape: shape, scalars: try tensors.floats("ema/" + key, shape: shape))
                }
                restored.append((v, value, state))
            } catch let error as TrainingError {
                throw error
            } catch let error as SafeTensorsError {
                throw .badCheckpoint(path: tensorPath, reason: error.description)
            } catch {
                throw .badCheckpoint(path: tensorPath, reason: "\(error)")
            }
        }
        // Nothing is changed until every tensor has been read.
        for ((key, _), (v, value, state)) in zip(parameters, restored) {
            v.value = value
            v.zeroGrad()
            optimizer.state[key] = state
        }
        optimizer.configuration = file.state.optimizer
        return (file.state, average)
    }

    /// Writes `bytes` to `.NAME.partial-PID-RANDOM` beside `path`, fsyncs, and renames it over `path`.
    static func writeAtomically(_ bytes: [UInt8], to path: String) throws(TrainingError) {
        let slash = path.lastIndex(of: "/")
        let folder = slash.map { String(path[..<$0]) } ?? "."
        let base = slash.map { String(path[path.index(after: $0)...]) } ?? path
        let temp = folder + "/.\(base).partial-\(getpid())-\(String(UInt32.random(in: .min ... .max), radix: 16))"
        let fd = open(temp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw .writeFailed(path: path, reason: String(cString: strerror(errno))) }
        var written = 0
        var failure: Int32 = 0
        bytes.withUnsafeBytes { raw in
            while written < raw.count {
                let n = write(fd, raw.baseAddress! + written, raw.count - written)
                if n < 0 { if errno == EINTR { continue }; failure = errno; return }
                written += n
            }
        }
        if failure == 0 && fsync(fd) != 0 { failure = errno }
        if close(fd) != 0 && failure == 0 { failure = errno }
        if failure == 0 && rename(temp, path) != 0 { failure = errno }
        if failure != 0 {
            unlink(temp)
            throw .writeFailed(path: path, reason: String(cString: strerror(failure)))
        }
        let dir = open(folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if dir >= 0 { fsync(dir); close(dir) }
    }
}

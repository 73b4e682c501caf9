import SafeTensors
import Tensors

/// The tensors of one model component (one or more safetensors files), handed out by checkpoint key.
///
/// Modules read their parameters through a `WeightScope`, which joins key prefixes the way the checkpoint
/// names them (`down_blocks.0.resnets.1.conv1` + `.weight`). Every read checks the shape the config implies;
/// `checkAllUsed()` reports tensors nobody read. Keys in `legacyKeys` are renamed once, at open.
public final class CheckpointWeights {
    public let files: [SafeTensorsFile]
    /// Key → (file index, key in that file).
    private var index: [String: (Int, String)] = [:]
    private var used: Set<String> = []
    /// Keys that are buffers rather than parameters and may be present without being read.
    private let ignorable: Set<String>
    /// When set, every requested tensor is made up (uniform in ±scale, seeded by key): models at any size
    /// without files, for benchmarks.
    private var random: (seed: UInt64, scale: Float)?
    /// Tensors held in memory (fresh initialisations, tuned weights before they are saved).
    private var memory: [String: Tensor] = [:]

    public init(paths: [String], rename: (String) -> String = { $0 }, ignorable: Set<String> = []) throws {
        var files: [SafeTensorsFile] = []
        for path in paths {
            do { files.append(try SafeTensorsFile(path: path)) } catch {
                throw ModelError.unreadableWeights(path: path, reason: error.description)
            }
        }
        self.files = files
        self.ignorable = ignorable
        for (i, file) in files.enumerated() {
            for name in file.names { index[rename(name)] = (i, name) }
        }
    }

    /// Weights that do not exist on disk: each tensor is uniform noise in ±`scale`, deterministic per key and seed.
    /// Timings do not depend on values, so benchmarks build SD-sized models this way.
    public static func random(seed: UInt64, scale: Float = 0.02) -> CheckpointWeights {
        CheckpointWeights(randomSeed: seed, scale: scale)
    }

    /// Weights held in memory, keyed like a checkpoint.
    public init(tensors: [String: Tensor]) {
        files = []
        ignorable = []
        memory = tensors
        for key in tensors.keys { index[key] = (-1, key) }
    }

    private init(randomSeed: UInt64, scale: Float) {
        files = []
        ignorable = []
        random = (randomSeed, scale)
    }

    /// A label for messages: the file (or files) these weights come from.
    public var label: String { files.isEmpty ? "(weights in memory)" : files.map(\.path).joined(separator: ", ") }

    public var keys: [String] { index.keys.sorted() }

    public func contains(_ key: String) -> Bool { random != nil || index[key] != nil }

    /// Whether any stored tensor sits below `prefix` (made-up random weights have only what is asked for).
    public func hasTensors(under prefix: String) -> Bool {
        index[prefix] != nil || index.keys.contains { $0.hasPrefix(prefix + ".") }
    }

    static func noise(key: String, shape: [Int], seed: UInt64, scale: Float) -> Tensor {
        var state = key.utf8.reduce(seed ^ 0xCBF2_9CE4_8422_2325) { ($0 ^ UInt64($1)) &* 0x100_0000_01B3 }
        return Tensor(shape: shape) { out in
            for i in 0..<out.count {
                state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                out[i] = (Float(state >> 40) / Float(1 << 24) * 2 - 1) * scale
            }
        }
    }

    /// The tensor at `key`, which must have `shape`.
    public func tensor(_ key: String, shape: [Int]) throws -> Tensor {
        if let random { return Self.noise(key: key, shape: shape, seed: random.seed, scale: random.scale) }
        guard let (fileIndex, name) = index[key] else {
            throw ModelError.missingKey(file: label, key: key, expectedShape: shape)
        }
        if fileIndex < 0, let t = memory[name] {
            guard t.shape == shape else { throw ModelError.shapeMismatch(file: label, key: key, expected: shape, found: t.shape) }
            used.insert(key)
            return t
        }
        let file = files[fileIndex]
        do {
            let entry = try file.entry(name)
            guard entry.shape == shape else {
                throw ModelError.shapeMismatch(file: file.path, key: key, expected: shape, found: entry.shape)
            }
            used.insert(key)
            return Tensor(shape: shape, scalars: try file.floats(name))
        } catch let error as SafeTensorsError {
            throw ModelError.unreadableWeights(path: file.path, reason: error.description)
        }
    }

    /// Throws when the checkpoint holds tensors that were never read.
    public func checkAllUsed() throws {
        let unused = index.keys.filter { !used.contains($0) && !ignorable.contains($0) }.sorted()
        if !unused.isEmpty { throw ModelError.unexpectedKeys(file: label, keys: unused) }
    }
}

/// A key prefix into `CheckpointWeights`: `scope["down_blocks"][0]["resnets"]` is `down_blocks.0.resnets`.
public struct WeightScope {
    public let weights: CheckpointWeights
    public let prefix: String

    public init(_ weights: CheckpointWeights, prefix: String = "") {
        self.weights = weights
        self.prefix = prefix
    }

    public subscript(_ name: String) -> WeightScope {
        WeightScope(weights, prefix: prefix.isEmpty ? name : "\(prefix).\(name)")
    }

    public subscript(_ index: Int) -> WeightScope { self[String(index)] }

    /// The tensor `prefix.name` with the given shape.
    public func tensor(_ name: String, _ shape: [Int]) throws -> Tensor {
        try weights.tensor(self[name].prefix, shape: shape)
    }

    /// Whether `prefix.name` (a tensor or any tensor below it) is stored (optional modules such as temporal
    /// attention load only when their weights are there).
    public func has(_ name: String) -> Bool { weights.hasTensors(under: self[name].prefix) }
}

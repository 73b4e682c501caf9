import Foundation
import Models
import SafeTensors

/// A safetensors file from anywhere: the header is validated on open, then every tensor is read through each
/// accessor and through `CheckpointWeights`, which the model loaders use.
enum SafeTensorsFuzz {
    static func run(_ data: Data, _ context: FuzzContext) throws -> String {
        let path = context.write(data, to: "input.safetensors")
        let file: SafeTensorsFile
        do { file = try SafeTensorsFile(path: path) } catch { try requireNamesFile(error, path) }

        var values = 0
        for name in file.names {
            let entry = try file.entry(name)
            try require(entry.elementCount == (entry.shape.contains(0) ? 0 : entry.shape.reduce(1, *)),
                        "\(name): element count \(entry.elementCount) for shape \(entry.shape)")
            let bytes = try file.withRawBytes(name) { $0.count }
            try require(bytes == entry.elementCount * entry.dtype.byteSize,
                        "\(name): \(bytes) bytes for \(entry.elementCount) × \(entry.dtype.byteSize)")
            if entry.dtype.convertsToFloat {
                let floats = try file.floats(name, shape: entry.shape)
                try require(floats.count == entry.elementCount, "\(name): \(floats.count) floats for \(entry.elementCount) elements")
                values += floats.count
            } else {
                do {
                    _ = try file.floats(name)
                    throw FuzzInvariantViolation("\(name): floats() accepted dtype \(entry.dtype)")
                } catch let error as SafeTensorsError {
                    try require(error.kind == .notConvertible(entry.dtype), "\(name): \(error)")
                }
            }
            // A wrong expected shape is refused with both shapes.
            do {
                _ = try file.floats(name, shape: entry.shape + [2])
                throw FuzzInvariantViolation("\(name): floats(shape:) accepted a wrong shape")
            } catch let error as SafeTensorsError {
                try require(error.description.contains(path), "error does not name the file: \(error)")
            }
        }
        // A name that is not there: the error lists close names, never crashes on odd names.
        do {
            _ = try file.entry((file.names.first ?? "") + ".missing")
            throw FuzzInvariantViolation("a missing tensor was found")
        } catch let error as SafeTensorsError {
            try require(error.description.contains(path), "error does not name the file: \(error)")
        }

        // The loader the models use: keys, shape checks, floats as tensors.
        let weights = try CheckpointWeights(paths: [path])
        for key in weights.keys {
            let entry = try file.entry(key)
            guard entry.dtype.convertsToFloat else { continue }
            let tensor = try weights.tensor(key, shape: entry.shape)
            try require(tensor.shape == entry.shape, "\(key): tensor shape \(tensor.shape) for \(entry.shape)")
        }
        return "\(file.names.count) tensor(s), \(values) float value(s), \(file.metadata.count) metadata key(s)"
    }
}

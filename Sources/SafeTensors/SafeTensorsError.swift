#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// A safetensors file that cannot be read or written. `description` names the file, the tensor where there
/// is one, what is wrong, and how to fix it.
public struct SafeTensorsError: Error, Equatable, CustomStringConvertible, LocalizedError {
    public enum Kind: Equatable, Sendable {
        /// `open`, `mmap`, `write`, `fsync`, `rename`... failed with `errno`.
        case io(operation: String, errno: Int32)
        /// Not a regular file (a folder, a device, a pipe).
        case notAFile
        /// Fewer than the 8 bytes of the header length.
        case fileTooShort(byteCount: Int)
        /// The header length exceeds ``SafeTensorsFile/maxHeaderLength``.
        case headerTooLarge(length: UInt64)
        /// The header length points past the end of the file.
        case headerBeyondFile(length: UInt64, fileSize: Int)
        case headerNotUTF8
        /// Malformed JSON; `offset` counts bytes from the start of the header.
        case headerNotJSON(offset: Int, reason: String)
        /// Valid JSON, but not an object (`type` is what it is instead).
        case headerNotObject(type: String)
        /// A tensor entry is not an object, or its `dtype`, `shape` or `data_offsets` is missing or mistyped.
        case invalidEntry(reason: String)
        /// `__metadata__` is not an object of strings.
        case invalidMetadata(reason: String)
        case unknownDType(String)
        /// A dimension is negative or not an integer, or the element count overflows.
        case invalidShape(reason: String)
        /// `data_offsets` has `begin > end`.
        case invalidOffsets(begin: Int, end: Int)
        /// `shape` product × dtype size differs from `end − begin`.
        case sizeMismatch(expectedBytes: Int, actualBytes: Int)
        /// `data_offsets` ends past the data section.
        case rangeBeyondData(end: Int, dataSize: Int)
        /// This tensor's bytes overlap those of `other`.
        case overlapping(other: String)
        /// No tensor of this name; `closeNames` are the nearest existing ones.
        case tensorNotFound(closeNames: [String])
        /// ``SafeTensorsFile/floats(_:)`` on a dtype other than F32, F16, BF16.
        case notConvertible(DType)
        /// The stored shape differs from the one the caller expected.
        case shapeMismatch(expected: [Int], found: [Int])
        /// The writer was given an invalid tensor (bad name, shape or count).
        case invalidTensor(reason: String)
    }

    public var kind: Kind
    /// The file being read or written.
    public var file: String
    /// The tensor concerned, if any.
    public var tensor: String?

    public init(_ kind: Kind, file: String, tensor: String? = nil) {
        self.kind = kind
        self.file = file
        self.tensor = tensor
    }

    public var errorDescription: String? { description }

    public var description: String {
        let at = tensor.map { "\(file): tensor '\($0)'" } ?? file
        let corrupt = "The file is truncated or corrupt; download or export it again (e.g. safetensors.torch.save_file)."
        switch kind {
        case .io(let operation, let code):
            return "\(at): \(operation) failed: \(String(cString: strerror(code))). Check the path, its permissions and free disk space."
        case .notAFile:
            return "\(at): not a regular file. Give the path of a .safetensors file."
        case .fileTooShort(let n):
            return "\(at): only \(n) bytes, fewer than the 8-byte header length. \(corrupt)"
        case .headerTooLarge(let n):
            return "\(at): header length \(n) bytes exceeds the \(SafeTensorsFile.maxHeaderLength)-byte limit. Is this a safetensors file? (.ckpt/.bin pickles are not.)"
        case .headerBeyondFile(let n, let size):
            return "\(at): header length \(n) bytes runs past the end of the \(size)-byte file. \(corrupt)"
        case .headerNotUTF8:
            return "\(at): header is not valid UTF-8. \(corrupt)"
        case .headerNotJSON(let offset, let reason):
            return "\(at): header is not valid JSON at byte \(offset) (\(reason)). \(corrupt)"
        case .headerNotObject(let type):
            return "\(at): header is a JSON \(type), expected an object of tensor entries. \(corrupt)"
        case .invalidEntry(let reason):
            return "\(at): \(reason). Each entry needs \"dtype\" (string), \"shape\" (array of integers) and \"data_offsets\" ([begin, end]). \(corrupt)"
        case .invalidMetadata(let reason):
            return "\(at): \"__metadata__\" \(reason); it must map strings to strings. Re-save with string metadata values."
        case .unknownDType(let name):
            return "\(at): unknown dtype \"\(name)\"; known: \(DType.allCases.map(\.rawValue).joined(separator: ", ")). Convert the tensor to F32, F16 or BF16 before saving."
        case .invalidShape(let reason):
            return "\(at): invalid shape (\(reason)). \(corrupt)"
        case .invalidOffsets(let begin, let end):
            return "\(at): data_offsets [\(begin), \(end)] begin after they end. \(corrupt)"
        case .sizeMismatch(let expected, let actual):
            return "\(at): shape and dtype need \(expected) bytes but data_offsets span \(actual). \(corrupt)"
        case .rangeBeyondData(let end, let size):
            return "\(at): data ends at byte \(end) of a \(size)-byte data section. \(corrupt)"
        case .overlapping(let other):
            return "\(at): data overlaps that of tensor '\(other)'. \(corrupt)"
        case .tensorNotFound(let close):
            let hint = close.isEmpty ? "" : " Close names: \(close.map { "'\($0)'" }.joined(separator: ", "))."
            return "\(at): no such tensor.\(hint) The checkpoint may use another naming scheme or prefix; list names with `names`."
        case .notConvertible(let dtype):
            return "\(at): dtype \(dtype.rawValue) does not convert to Float (only F32, F16, BF16 do). Read its bytes with withRawBytes, or re-save it as a float type."
        case .shapeMismatch(let expected, let found):
            return "\(at): shape \(found) but the model expects \(expected). The checkpoint is for another model configuration; check the config or the checkpoint."
        case .invalidTensor(let reason):
            return "\(at): cannot write: \(reason)."
        }
    }
}

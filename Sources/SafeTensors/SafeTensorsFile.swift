#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A safetensors file, memory-mapped read-only and validated on open. Tensor bytes are never copied until
/// asked for, so opening a multi-gigabyte checkpoint is cheap and the kernel pages in only what is read.
///
/// Layout (https://github.com/huggingface/safetensors):
///
///     [0, 8)        N: UInt64, little-endian
///     [8, 8+N)      UTF-8 JSON object, may end in padding spaces:
///                     { "__metadata__": {"key": "value", ...},            (optional, strings only)
///                       "name": {"dtype": "F16", "shape": [320, 4, 3, 3],
///                                "data_offsets": [begin, end]}, ... }
///     [8+N, EOF)    data section; a tensor's bytes are [8+N+begin, 8+N+end), row-major, little-endian
///
/// Every field is validated before it is trusted (lengths, UTF-8, JSON, entry fields, dtype, shape × dtype
/// size = end − begin, ranges inside the data section, no overlaps); any failure is a ``SafeTensorsError``.
///
///     let file = try SafeTensorsFile(path: "unet.safetensors")
///     let w = try file.floats("conv_in.weight", shape: [320, 4, 3, 3])   // [Cout, Cin, kH, kW]
///
/// Immutable after `init`, so it can be shared between threads. As with any mapping, truncating the file
/// on disk while it is open makes reads of the lost pages fault (SIGBUS); replace files by renaming instead.
public final class SafeTensorsFile: @unchecked Sendable {
    /// Headers larger than this are rejected (real ones are well under 1 MB).
    public static let maxHeaderLength = 100_000_000

    public let path: String
    /// Tensor names, sorted.
    public let names: [String]
    /// The header's `__metadata__` (empty when absent).
    public let metadata: [String: String]

    private let entries: [String: TensorEntry]
    /// The whole file (at least 8 bytes, so never a zero-length mapping).
    private let mapping: UnsafeRawBufferPointer
    private let dataStart: Int

    /// Maps and validates the file; every problem is a ``SafeTensorsError`` naming the file and the tensor.
    public init(path: String) throws(SafeTensorsError) {
        self.path = path
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)  // NONBLOCK: a FIFO must not hang the open
        guard fd >= 0 else { throw SafeTensorsError(.io(operation: "open", errno: errno), file: path) }
        defer { close(fd) }  // the mapping outlives the descriptor
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw SafeTensorsError(.io(operation: "stat", errno: errno), file: path) }
        guard (info.st_mode & S_IFMT) == S_IFREG else { throw SafeTensorsError(.notAFile, file: path) }
        let size = Int(info.st_size)
        guard size >= 8 else { throw SafeTensorsError(.fileTooShort(byteCount: size), file: path) }

        let address = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0)
        guard let address, address != MAP_FAILED else {
            throw SafeTensorsError(.io(operation: "mmap", errno: errno), file: path)
        }
        let mapping = UnsafeRawBufferPointer(start: address, count: size)
        do {
            let header = try SafeTensorsHeader(file: mapping, path: path)
            entries = header.entries
            metadata = header.metadata
            dataStart = header.dataStart
        } catch {
            munmap(address, size)
            throw error
        }
        self.mapping = mapping
        names = entries.keys.sorted()
    }

    deinit {
        if let base = mapping.baseAddress { munmap(UnsafeMutableRawPointer(mutating: base), mapping.count) }
    }

    /// The validated entry (dtype, shape, offsets) of `name`.
    public func entry(_ name: String) throws(SafeTensorsError) -> TensorEntry {
        guard let entry = entries[name] else {
            throw SafeTensorsError(.tensorNotFound(closeNames: closeNames(to: name)), file: path, tensor: name)
        }
        return entry
    }

    /// Calls `body` with the tensor's stored bytes (row-major, little-endian; possibly unaligned), without copying.
    /// The buffer is valid only inside `body`.
    public func withRawBytes<R>(_ name: String, _ body: (UnsafeRawBufferPointer) throws -> R) throws -> R {
        let range = try entry(name).dataOffsets
        return try body(UnsafeRawBufferPointer(rebasing: mapping[(dataStart + range.lowerBound)..<(dataStart + range.upperBound)]))
    }

    /// The tensor's values as Float, row-major in the order of ``TensorEntry/shape``.
    /// F32 is copied as is; F16 and BF16 are widened exactly. Other dtypes throw ``SafeTensorsError/Kind/notConvertible(_:)``.
    public func floats(_ name: String) throws(SafeTensorsError) -> [Float] {
        let entry = try entry(name)
        let n = entry.elementCount
        let bytes = UnsafeRawBufferPointer(
            rebasing: mapping[(dataStart + entry.dataOffsets.lowerBound)..<(dataStart + entry.dataOffsets.upperBound)])
        guard entry.dtype.convertsToFloat else {
            throw SafeTensorsError(.notConvertible(entry.dtype), file: path, tensor: name)
        }
        // Swift 6.3's Array(unsafeUninitializedCapacity: 0) writes the count of the shared empty-array storage,
        // a (benign) data race ThreadSanitizer reports when two threads do it; an empty tensor needs no buffer.
        guard n > 0 else { return [] }
        return [Float](unsafeUninitializedCapacity: n) { out, initialized in
            switch entry.dtype {
            case .f16: HalfFloat.decodeF16(bytes, into: out)
            case .bf16: HalfFloat.decodeBF16(bytes, into: out)
            default:  // .f32
                if let dst = out.baseAddress, let src = bytes.baseAddress { memcpy(dst, src, 4 * n) }
                #if _endian(big)
                for i in 0..<n { out[i] = Float(bitPattern: UInt32(littleEndian: out[i].bitPattern)) }
                #endif
            }
            initialized = n
        }
    }

    /// ``floats(_:)``, failing with both shapes when the stored shape is not `shape`.
    /// - Parameter shape: the shape the caller's layer needs, outermost first.
    public func floats(_ name: String, shape: [Int]) throws(SafeTensorsError) -> [Float] {
        let found = try entry(name).shape
        guard found == shape else {
            throw SafeTensorsError(.shapeMismatch(expected: shape, found: found), file: path, tensor: name)
        }
        return try floats(name)
    }

    /// Up to five names sharing the longest prefix with `name`, preferring names that contain it or that it
    /// contains (the usual sign of a missing or extra prefix such as `model.diffusion_model.`).
    func closeNames(to name: String) -> [String] {
        let wanted = Array(name.utf8)
        func score(_ other: String) -> Int {
            if other.hasSuffix("." + name) || name.hasSuffix("." + other) { return Int.max }
            var n = 0
            for (a, b) in zip(wanted, other.utf8) { if a == b { n += 1 } else { break } }
            return n
        }
        let scored = names.map { ($0, score($0)) }.filter { $0.1 > 0 }
        return scored.sorted { ($1.1, $0.0) < ($0.1, $1.0) }.prefix(5).map(\.0)
    }
}

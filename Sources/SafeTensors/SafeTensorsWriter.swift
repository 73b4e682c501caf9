#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Collects named tensors and writes them as one safetensors file, atomically.
///
///     var writer = SafeTensorsWriter(path: "lora.safetensors", metadata: ["format": "pt"])
///     try writer.add("conv.weight", shape: [8, 4, 3, 3], values: w, dtype: .f16)   // [Cout, Cin, kH, kW]
///     try writer.write()
///
/// Header keys are sorted by name. Data is laid out by element size, largest first, then by name (as the
/// reference implementation does), so with a header padded to a multiple of 8 bytes every tensor starts
/// aligned to its element size, and there are no gaps. The file is written to `.NAME.partial-PID-RANDOM`
/// beside the target, fsynced and renamed over it; on failure the partial file is removed.
public struct SafeTensorsWriter {
    public let path: String
    /// Written as `__metadata__` (omitted when empty).
    public var metadata: [String: String]

    private enum Payload {
        case floats([Float])
        case raw([UInt8])
    }
    private var tensors: [String: (dtype: DType, shape: [Int], payload: Payload)] = [:]

    public init(path: String, metadata: [String: String] = [:]) {
        self.path = path
        self.metadata = metadata
    }

    /// Adds Float values, encoded on write as `dtype`: F32 exactly, F16 and BF16 rounded to nearest even.
    /// - Parameters: shape: outermost first; values: row-major, `shape` product of them.
    public mutating func add(_ name: String, shape: [Int], values: [Float], dtype: DType = .f32) throws(SafeTensorsError) {
        guard dtype.convertsToFloat else { throw invalid(name, "Float values encode only as F32, F16 or BF16, not \(dtype.rawValue)") }
        let count = try checkedCount(name, shape)
        guard count == values.count else { throw invalid(name, "shape \(shape) holds \(count) values but \(values.count) were given") }
        try insert(name, (dtype, shape, .floats(values)))
    }

    /// Adds pre-encoded row-major little-endian bytes of any dtype (e.g. I64 step counters, U8 masks).
    public mutating func add(_ name: String, shape: [Int], dtype: DType, rawBytes: [UInt8]) throws(SafeTensorsError) {
        let count = try checkedCount(name, shape)
        guard count.multipliedReportingOverflow(by: dtype.byteSize) == (rawBytes.count, false) else {
            throw invalid(name, "shape \(shape) of \(dtype.rawValue) needs \(count) × \(dtype.byteSize) bytes but \(rawBytes.count) were given")
        }
        try insert(name, (dtype, shape, .raw(rawBytes)))
    }

    /// Writes every tensor added, replacing `path` atomically.
    public func write() throws(SafeTensorsError) {
        let order = tensors.keys.sorted { a, b in
            let (sa, sb) = (tensors[a]!.dtype.byteSize, tensors[b]!.dtype.byteSize)  // keys come from `tensors`
            return sa != sb ? sa > sb : a < b
        }
        var offsets: [String: Range<Int>] = [:]
        var end = 0
        for name in order {
            let t = tensors[name]!
            let size = t.shape.reduce(1, *) * t.dtype.byteSize  // checked in add
            offsets[name] = end..<(end + size)
            end += size
        }
        var header = Array(headerJSON(offsets).utf8)
        header.append(contentsOf: repeatElement(UInt8(ascii: " "), count: (8 - header.count % 8) % 8))

        let slash = path.lastIndex(of: "/")
        let folder = slash.map { String(path[..<$0]) } ?? "."
        let base = slash.map { String(path[path.index(after: $0)...]) } ?? path
        let temp = (slash == nil ? "" : folder + "/") + ".\(base).partial-\(getpid())-\(String(UInt32.random(in: .min ... .max), radix: 16))"
        let fd = open(temp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw SafeTensorsError(.io(operation: "create \(temp)", errno: errno), file: path) }
        var isOpen = true
        do {
            func check(_ code: Int32, _ operation: String, _ tensor: String? = nil) throws(SafeTensorsError) {
                if code != 0 { throw SafeTensorsError(.io(operation: operation, errno: code), file: path, tensor: tensor) }
            }
            var length = UInt64(header.count).littleEndian
            try check(withUnsafeBytes(of: &length) { writeAll(fd, $0) }, "write")
            try check(header.withUnsafeBytes { writeAll(fd, $0) }, "write")
            for name in order {
                let t = tensors[name]!
                switch t.payload {
                case .raw(let bytes): try check(bytes.withUnsafeBytes { writeAll(fd, $0) }, "write", name)
                case .floats(let values): try check(writeEncoded(fd, values, t.dtype), "write", name)
                }
            }
            try check(fsync(fd) == 0 ? 0 : errno, "fsync")
            isOpen = false
            try check(close(fd) == 0 ? 0 : errno, "close")
            try check(rename(temp, path) == 0 ? 0 : errno, "rename \(temp) to")
        } catch {
            if isOpen { close(fd) }
            unlink(temp)
            throw error
        }
        // Make the rename itself durable; a failure here leaves a complete file, so it is not an error.
        let dir = open(folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if dir >= 0 { fsync(dir); close(dir) }
    }

    /// Writes `tensors` (all encoded as `dtype`) to `path`.
    public static func write(
        _ tensors: [String: (shape: [Int], values: [Float])], to path: String, dtype: DType = .f32,
        metadata: [String: String] = [:]
    ) throws(SafeTensorsError) {
        var writer = SafeTensorsWriter(path: path, metadata: metadata)
        for (name, t) in tensors { try writer.add(name, shape: t.shape, values: t.values, dtype: dtype) }
        try writer.write()
    }

    // MARK: - Helpers

    private func invalid(_ name: String, _ reason: String) -> SafeTensorsError {
        SafeTensorsError(.invalidTensor(reason: reason), file: path, tensor: name)
    }

    private func checkedCount(_ name: String, _ shape: [Int]) throws(SafeTensorsError) -> Int {
        guard shape.allSatisfy({ $0 >= 0 }) else { throw invalid(name, "shape \(shape) has a negative dimension") }
        var count = 1
        for n in shape {
            let (product, overflow) = count.multipliedReportingOverflow(by: n)
            guard !overflow else { throw invalid(name, "shape \(shape) is too large") }
            count = product
        }
        return count
    }

    private mutating func insert(_ name: String, _ tensor: (DType, [Int], Payload)) throws(SafeTensorsError) {
        guard name != "__metadata__" else { throw invalid(name, "the name is reserved for the metadata") }
        guard tensors[name] == nil else { throw invalid(name, "a tensor of this name was already added") }
        tensors[name] = tensor
    }

    /// `{"__metadata__":{...},"a":{"dtype":"F32","shape":[2,3],"data_offsets":[0,24]},...}`, keys sorted.
    private func headerJSON(_ offsets: [String: Range<Int>]) -> String {
        var parts: [String] = []
        if !metadata.isEmpty {
            let pairs = metadata.sorted { $0.key < $1.key }.map { "\(quoted($0.key)):\(quoted($0.value))" }
            parts.append("\"__metadata__\":{\(pairs.joined(separator: ","))}")
        }
        for (name, range) in offsets.sorted(by: { $0.key < $1.key }) {
            let t = tensors[name]!
            let shape = t.shape.map(String.init).joined(separator: ",")
            parts.append("\(quoted(name)):{\"dtype\":\"\(t.dtype.rawValue)\",\"shape\":[\(shape)],\"data_offsets\":[\(range.lowerBound),\(range.upperBound)]}")
        }
        return "{" + parts.joined(separator: ",") + "}"
    }
}

/// A JSON string literal: quotes, backslashes and control characters escaped, the rest as UTF-8.
private func quoted(_ s: String) -> String {
    var out = "\""
    for scalar in s.unicodeScalars {
        switch scalar {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\t": out += "\\t"
        case "\r": out += "\\r"
        case _ where scalar.value < 0x20: out += (scalar.value < 0x10 ? "\\u000" : "\\u00") + String(scalar.value, radix: 16)
        default: out.unicodeScalars.append(scalar)
        }
    }
    return out + "\""
}

/// Writes all of `buffer`, retrying short writes and EINTR; returns 0 or the errno.
private func writeAll(_ fd: Int32, _ buffer: UnsafeRawBufferPointer) -> Int32 {
    var done = 0
    while done < buffer.count {
        let n = write(fd, buffer.baseAddress! + done, buffer.count - done)
        if n < 0 {
            if errno == EINTR { continue }
            return errno
        }
        done += n
    }
    return 0
}

/// Encodes `values` as little-endian `dtype` (F32, F16, BF16) in 256 KiB chunks and writes them.
private func writeEncoded(_ fd: Int32, _ values: [Float], _ dtype: DType) -> Int32 {
    #if _endian(little)
    if dtype == .f32 { return values.withUnsafeBytes { writeAll(fd, $0) } }
    #endif
    let chunk = 1 << 16
    var buffer = [UInt32](repeating: 0, count: min(chunk, values.count))
    var start = 0
    while start < values.count {
        let n = min(chunk, values.count - start)
        let code: Int32 = buffer.withUnsafeMutableBytes { raw in
            for i in 0..<n {
                let v = values[start + i]
                switch dtype {
                case .f16: raw.storeBytes(of: HalfFloat.f16Bits(from: v).littleEndian, toByteOffset: 2 * i, as: UInt16.self)
                case .bf16: raw.storeBytes(of: HalfFloat.bf16Bits(from: v).littleEndian, toByteOffset: 2 * i, as: UInt16.self)
                default: raw.storeBytes(of: v.bitPattern.littleEndian, toByteOffset: 4 * i, as: UInt32.self)
                }
            }
            return writeAll(fd, UnsafeRawBufferPointer(rebasing: raw[0..<(n * dtype.byteSize)]))
        }
        if code != 0 { return code }
        start += n
    }
    return 0
}

/// One tensor of a safetensors file, as validated from its header entry.
public struct TensorEntry: Sendable, Equatable {
    public let name: String
    public let dtype: DType
    /// Dimensions, outermost first, as PyTorch stores them (a conv weight is [Cout, Cin, kH, kW]);
    /// `[]` is a scalar (one element).
    public let shape: [Int]
    /// Byte range inside the data section (the header's `data_offsets`).
    public let dataOffsets: Range<Int>
    /// Product of `shape`.
    public let elementCount: Int
}

/// The header of a safetensors file (layout in ``SafeTensorsFile``), validated against the file's size.
///
/// Everything is checked before use: the lengths, the JSON, each entry's fields, that `end − begin` equals the
/// element count × dtype size (overflow-checked), that the range lies inside the data section and that no two
/// tensors share bytes. Gaps between tensors and bytes after the last one are accepted.
struct SafeTensorsHeader {
    var entries: [String: TensorEntry] = [:]
    var metadata: [String: String] = [:]
    /// Start of the data section in the file: 8 + N.
    var dataStart = 0

    /// - Parameters: file: every byte of the file; path: for messages.
    init(file: UnsafeRawBufferPointer, path: String) throws(SafeTensorsError) {
        func fail(_ kind: SafeTensorsError.Kind, _ tensor: String? = nil) -> SafeTensorsError {
            SafeTensorsError(kind, file: path, tensor: tensor)
        }
        guard file.count >= 8 else { throw fail(.fileTooShort(byteCount: file.count)) }
        let length = UInt64(littleEndian: file.loadUnaligned(as: UInt64.self))
        guard length <= UInt64(SafeTensorsFile.maxHeaderLength) else { throw fail(.headerTooLarge(length: length)) }
        guard length <= UInt64(file.count - 8) else { throw fail(.headerBeyondFile(length: length, fileSize: file.count)) }
        dataStart = 8 + Int(length)
        let headerBytes = UnsafeRawBufferPointer(rebasing: file[8..<dataStart])
        let dataSize = file.count - dataStart

        var utf8 = UTF8()
        var iterator = headerBytes.makeIterator()
        decoding: while true {
            switch utf8.decode(&iterator) {
            case .scalarValue: continue
            case .emptyInput: break decoding
            case .error: throw fail(.headerNotUTF8)
            }
        }
        let json: HeaderJSON
        do { json = try HeaderJSON.parse(headerBytes) } catch {
            throw fail(.headerNotJSON(offset: error.offset, reason: error.reason))
        }
        guard case .object(let members) = json else { throw fail(.headerNotObject(type: json.typeName)) }

        for (name, value) in members.sorted(by: { $0.key < $1.key }) {  // sorted: the same file, the same error
            if name == "__metadata__" {
                guard case .object(let pairs) = value else {
                    throw fail(.invalidMetadata(reason: "is a JSON \(value.typeName), not an object"))
                }
                for (key, item) in pairs {
                    guard case .string(let text) = item else {
                        throw fail(.invalidMetadata(reason: "value of \"\(key)\" is a JSON \(item.typeName), not a string"))
                    }
                    metadata[key] = text
                }
                continue
            }
            entries[name] = try Self.entry(name, value, dataSize: dataSize, error: { fail($0, name) })
        }

        // Overlaps: walk non-empty ranges by start, remembering the one reaching furthest.
        let ranges = entries.values.filter { !$0.dataOffsets.isEmpty }
            .sorted { ($0.dataOffsets.lowerBound, $0.name) < ($1.dataOffsets.lowerBound, $1.name) }
        var furthest: TensorEntry?
        for entry in ranges {
            if let f = furthest, entry.dataOffsets.lowerBound < f.dataOffsets.upperBound {
                throw fail(.overlapping(other: f.name), entry.name)
            }
            if furthest.map({ entry.dataOffsets.upperBound > $0.dataOffsets.upperBound }) ?? true { furthest = entry }
        }
    }

    private static func entry(
        _ name: String, _ value: HeaderJSON, dataSize: Int, error: (SafeTensorsError.Kind) -> SafeTensorsError
    ) throws(SafeTensorsError) -> TensorEntry {
        func field(_ key: String, _ fields: [String: HeaderJSON], expected: String) -> SafeTensorsError {
            error(.invalidEntry(reason: fields[key].map { "\"\(key)\" is a JSON \($0.typeName), expected \(expected)" }
                ?? "missing \"\(key)\""))
        }
        guard case .object(let fields) = value else {
            throw error(.invalidEntry(reason: "entry is a JSON \(value.typeName), not an object"))
        }

        guard case .string(let dtypeName)? = fields["dtype"] else { throw field("dtype", fields, expected: "a string") }
        guard let dtype = DType(rawValue: dtypeName) else { throw error(.unknownDType(dtypeName)) }

        guard case .array(let dims)? = fields["shape"] else { throw field("shape", fields, expected: "an array") }
        var shape: [Int] = []
        for dim in dims {
            guard case .integer(let n) = dim, n >= 0 else {
                let text = switch dim { case .integer(let n): "\(n)"; case .number(let s): s; default: "a JSON \(dim.typeName)" }
                throw error(.invalidShape(reason: "dimension \(text) is not a non-negative integer"))
            }
            shape.append(n)
        }
        // Left to right, overflow-checked at every step, as the reference implementation does: [2⁴⁰, 2⁴⁰, 0] is
        // refused even though it holds no element, because every later `shape.reduce(1, *)` would overflow.
        var count = 1
        for n in shape {
            let (product, overflow) = count.multipliedReportingOverflow(by: n)
            guard !overflow else { throw error(.invalidShape(reason: "element count of \(shape) overflows")) }
            count = product
        }
        let (byteCount, overflow) = count.multipliedReportingOverflow(by: dtype.byteSize)
        guard !overflow else { throw error(.invalidShape(reason: "byte size of \(shape) × \(dtype.byteSize) overflows")) }

        guard case .array(let offsets)? = fields["data_offsets"] else {
            throw field("data_offsets", fields, expected: "an array [begin, end]")
        }
        guard offsets.count == 2, case .integer(let begin) = offsets[0], case .integer(let end) = offsets[1],
              begin >= 0, end >= 0
        else { throw error(.invalidEntry(reason: "\"data_offsets\" must be two non-negative integers [begin, end]")) }
        guard begin <= end else { throw error(.invalidOffsets(begin: begin, end: end)) }
        guard end - begin == byteCount else { throw error(.sizeMismatch(expectedBytes: byteCount, actualBytes: end - begin)) }
        guard end <= dataSize else { throw error(.rangeBeyondData(end: end, dataSize: dataSize)) }
        return TensorEntry(name: name, dtype: dtype, shape: shape, dataOffsets: begin..<end, elementCount: count)
    }
}

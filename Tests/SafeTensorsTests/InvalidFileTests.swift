import Foundation
import Testing
@testable import SafeTensors

/// Each malformed file gives its own error kind, and the message names the file (and the tensor).
@Suite struct InvalidFileTests {
    let folder = ScratchFolder()

    /// Writes `bytes`, opens it, and returns the error (recording an issue if it opened).
    func error(_ bytes: [UInt8], _ sourceLocation: SourceLocation = #_sourceLocation) throws -> SafeTensorsError? {
        let path = folder.file("bad-\(UUID().uuidString).safetensors")
        try write(bytes, to: path)
        let e = openError(path)
        if let e {
            #expect(e.file == path, sourceLocation: sourceLocation)
            #expect(e.description.contains(path), sourceLocation: sourceLocation)
            if let tensor = e.tensor { #expect(e.description.contains("'\(tensor)'"), sourceLocation: sourceLocation) }
        } else {
            Issue.record("the file opened", sourceLocation: sourceLocation)
        }
        return e
    }

    /// A header with one entry `"t": {entry}` and `data` bytes.
    func entry(_ json: String, data: Int = 8) throws -> SafeTensorsError? {
        try error(safetensorsBytes(header: "{\"t\":\(json)}", data: [UInt8](repeating: 0, count: data)))
    }

    @Test func lengths() throws {
        for n in 0..<8 { #expect(try error([UInt8](repeating: 0, count: n))?.kind == .fileTooShort(byteCount: n)) }
        #expect(try error(safetensorsBytes(header: "{}", length: 200_000_000))?.kind == .headerTooLarge(length: 200_000_000))
        #expect(try error(safetensorsBytes(header: "{}", length: .max))?.kind == .headerTooLarge(length: .max))
        #expect(try error(safetensorsBytes(header: "{}", length: 3))?.kind == .headerBeyondFile(length: 3, fileSize: 10))
    }

    @Test func notUTF8NotJSONNotObject() throws {
        #expect(try error([2, 0, 0, 0, 0, 0, 0, 0, 0xC3, 0x28])?.kind == .headerNotUTF8)
        #expect(try error([4, 0, 0, 0, 0, 0, 0, 0, 0x7B, 0xED, 0xA0, 0x80])?.kind == .headerNotUTF8)  // UTF-16 surrogate
        for bad in ["", "{", "{\"a\":", "{}}", "{\"a\" 1}", "{'a':1}", "{\"a\":01}", "{\"a\":1,}", "{\"a\":tru}",
                    "{\"a\":\"\\x\"}", "{\"a\":\"\\ud800\"}", "{\"a\":\"tab\there\"}", "{} x",
                    String(repeating: "[", count: 100_000)] {
            let e = try error(safetensorsBytes(header: bad))
            guard case .headerNotJSON? = e?.kind else { Issue.record("\(bad.prefix(20)): \(String(describing: e))"); continue }
        }
        let dup = try error(safetensorsBytes(header: #"{"a":{},"a":{}}"#))
        #expect(dup?.kind == .headerNotJSON(offset: 8, reason: "duplicate key \"a\""))
        #expect(try error(safetensorsBytes(header: "[1, 2]"))?.kind == .headerNotObject(type: "array"))
        #expect(try error(safetensorsBytes(header: "\"x\""))?.kind == .headerNotObject(type: "string"))
    }

    @Test func entryFields() throws {
        func invalidEntry(_ json: String) throws {
            let e = try entry(json)
            guard case .invalidEntry? = e?.kind else { Issue.record("\(json): \(String(describing: e))"); return }
            #expect(e?.tensor == "t")
        }
        try invalidEntry("5")
        try invalidEntry(#"{"shape":[2],"data_offsets":[0,8]}"#)
        try invalidEntry(#"{"dtype":"F32","data_offsets":[0,8]}"#)
        try invalidEntry(#"{"dtype":"F32","shape":[2]}"#)
        try invalidEntry(#"{"dtype":32,"shape":[2],"data_offsets":[0,8]}"#)
        try invalidEntry(#"{"dtype":"F32","shape":"2","data_offsets":[0,8]}"#)
        try invalidEntry(#"{"dtype":"F32","shape":[2],"data_offsets":[0,4,8]}"#)
        try invalidEntry(#"{"dtype":"F32","shape":[2],"data_offsets":[0,8.0]}"#)
        try invalidEntry(#"{"dtype":"F32","shape":[2],"data_offsets":[-8,0]}"#)
        try invalidEntry(#"{"dtype":"F32","shape":[2],"data_offsets":[0,99999999999999999999]}"#)
        #expect(try entry(#"{"shape":[2],"data_offsets":[0,8]}"#)?.kind == .invalidEntry(reason: "missing \"dtype\""))
    }

    @Test func dtypeAndShape() throws {
        #expect(try entry(#"{"dtype":"F99","shape":[2],"data_offsets":[0,8]}"#)?.kind == .unknownDType("F99"))
        #expect(try entry(#"{"dtype":"f32","shape":[2],"data_offsets":[0,8]}"#)?.kind == .unknownDType("f32"))
        for shape in ["[-1]", "[1.5]", "[\"2\"]", "[2e0]", "[null]", "[4611686018427387904, 4]", "[99999999999999999999]"] {
            let e = try entry(#"{"dtype":"F32","shape":\#(shape),"data_offsets":[0,8]}"#)
            guard case .invalidShape? = e?.kind else { Issue.record("\(shape): \(String(describing: e))"); continue }
            #expect(e?.tensor == "t")
        }
        // Element count fits but bytes do not.
        let e = try entry(#"{"dtype":"F64","shape":[2305843009213693952],"data_offsets":[0,8]}"#)
        guard case .invalidShape? = e?.kind else { Issue.record("\(String(describing: e))"); return }
    }

    @Test func offsets() throws {
        #expect(try entry(#"{"dtype":"F32","shape":[2],"data_offsets":[8,0]}"#)?.kind == .invalidOffsets(begin: 8, end: 0))
        #expect(try entry(#"{"dtype":"F32","shape":[3],"data_offsets":[0,8]}"#)?.kind == .sizeMismatch(expectedBytes: 12, actualBytes: 8))
        #expect(try entry(#"{"dtype":"F32","shape":[2],"data_offsets":[4,12]}"#)?.kind == .rangeBeyondData(end: 12, dataSize: 8))
        #expect(try entry(#"{"dtype":"F32","shape":[2],"data_offsets":[0,8]}"#, data: 7)?.kind == .rangeBeyondData(end: 8, dataSize: 7))

        let overlap = #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F16","shape":[2],"data_offsets":[6,10]}}"#
        let e = try error(safetensorsBytes(header: overlap, data: [UInt8](repeating: 0, count: 10)))
        #expect(e?.kind == .overlapping(other: "a"))
        #expect(e?.tensor == "b")
        #expect(e?.description.contains("'a'") == true)
        // Contained inside a longer earlier range, and past a shorter one in between.
        let nested = #"{"a":{"dtype":"U8","shape":[10],"data_offsets":[0,10]},"b":{"dtype":"U8","shape":[1],"data_offsets":[2,3]}}"#
        #expect(try error(safetensorsBytes(header: nested, data: [UInt8](repeating: 0, count: 10)))?.kind == .overlapping(other: "a"))
        // Empty tensors overlap nothing; touching ranges are fine.
        let fine = #"{"a":{"dtype":"U8","shape":[2],"data_offsets":[0,2]},"b":{"dtype":"U8","shape":[0],"data_offsets":[1,1]},"c":{"dtype":"U8","shape":[2],"data_offsets":[2,4]}}"#
        let path = folder.file("fine.safetensors")
        try write(safetensorsBytes(header: fine, data: [1, 2, 3, 4]), to: path)
        #expect(try SafeTensorsFile(path: path).names == ["a", "b", "c"])
    }

    @Test func metadata() throws {
        let e = try error(safetensorsBytes(header: #"{"__metadata__":{"epoch":3}}"#))
        #expect(e?.kind == .invalidMetadata(reason: "value of \"epoch\" is a JSON number, not a string"))
        let e2 = try error(safetensorsBytes(header: #"{"__metadata__":["a"]}"#))
        guard case .invalidMetadata? = e2?.kind else { Issue.record("\(String(describing: e2))"); return }
    }

    @Test func missingFileAndFolder() {
        let missing = folder.file("nope.safetensors")
        let e = openError(missing)
        #expect(e?.kind == .io(operation: "open", errno: ENOENT))
        #expect(e?.description.contains(missing) == true)
        #expect(openError(folder.path)?.kind == .notAFile)
        let fifo = folder.file("pipe.safetensors")  // must fail at once, not wait for a writer
        #expect(mkfifo(fifo, 0o600) == 0)
        #expect(openError(fifo)?.kind == .notAFile)
    }
}

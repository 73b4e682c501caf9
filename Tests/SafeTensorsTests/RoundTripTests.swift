import Foundation
import Testing
@testable import SafeTensors

/// Writer → reader round trips, exact half-float encodings, and the writer's layout and atomicity.
@Suite struct RoundTripTests {
    @Test func f32RoundTripIsBitExact() throws {
        let folder = ScratchFolder()
        let path = folder.file("model.safetensors")
        var rng = SeededGenerator(state: 1)
        let specials: [Float] = [0, -0.0, .infinity, -.infinity, .nan, .leastNonzeroMagnitude, .greatestFiniteMagnitude, -0x1p-130]
        let weight = specials + (0..<16).map { _ in Float.random(in: -10...10, using: &rng) }  // [2, 3, 4]
        try SafeTensorsWriter.write(
            ["down.0.weight": ([2, 3, 4], weight), "scale": ([], [0.5]), "empty": ([0, 5], [])],
            to: path, metadata: ["format": "pt", "note": "quote \" backslash \\ newline \n é 😀"])

        let file = try SafeTensorsFile(path: path)
        #expect(file.names == ["down.0.weight", "empty", "scale"])
        #expect(file.metadata == ["format": "pt", "note": "quote \" backslash \\ newline \n é 😀"])
        #expect(try file.entry("down.0.weight").shape == [2, 3, 4])
        #expect(try file.entry("down.0.weight").dtype == .f32)
        #expect(try file.floats("down.0.weight").map(\.bitPattern) == weight.map(\.bitPattern))
        #expect(try file.floats("scale") == [0.5])
        #expect(try file.entry("scale").shape == [])
        #expect(try file.floats("empty") == [])
        #expect(try file.withRawBytes("down.0.weight") { Array($0) } == bytes32(weight))
        #expect(folder.contents == ["model.safetensors"])  // no partial file left behind
    }

    /// Known binary16 encodings, including round to nearest even on ties.
    @Test func f16EncodesKnownValuesExactly() throws {
        let cases: [(Float, UInt16)] = [
            (0, 0x0000), (-0.0, 0x8000), (1, 0x3C00), (-1, 0xBC00), (65504, 0x7BFF),
            (0x1p-24, 0x0001),  // smallest subnormal
            (0x1p-14, 0x0400),  // smallest normal
            (.infinity, 0x7C00), (-.infinity, 0xFC00),
            (1.0 / 3.0, 0x3555),  // 0.333251953125
            (65520, 0x7C00),  // halfway to 65536 ties to even: overflows to inf
            (0x1p-25, 0x0000),  // tie between 0 and 2^-24: to even, 0
            (0x1.8p-24, 0x0002),  // tie between 1 and 2 × 2^-24: to even, 2
            (1 + 0x1p-11, 0x3C00), (1 + 0x1.8p-10, 0x3C02),  // ties at 1: down to even, up to even
        ]
        let folder = ScratchFolder()
        let path = folder.file("half.safetensors")
        try SafeTensorsWriter.write(["x": ([cases.count + 1], cases.map(\.0) + [.nan])], to: path, dtype: .f16)
        let file = try SafeTensorsFile(path: path)
        #expect(try file.entry("x").dtype == .f16)
        let words = try file.withRawBytes("x") { raw in (0..<raw.count / 2).map { UInt16(raw[2 * $0]) | UInt16(raw[2 * $0 + 1]) << 8 } }
        for (i, (value, bits)) in cases.enumerated() {
            #expect(words[i] == bits, "\(value) encoded as 0x\(String(words[i], radix: 16)), expected 0x\(String(bits, radix: 16))")
        }
        #expect(words[cases.count] & 0x7C00 == 0x7C00 && words[cases.count] & 0x03FF != 0, "NaN stays NaN")

        let read = try file.floats("x")
        let expected: [Float] = [0, -0.0, 1, -1, 65504, 0x1p-24, 0x1p-14, .infinity, -.infinity, 0.333251953125,
                                 .infinity, 0, 0x1p-23, 1, 1 + 0x1p-9]
        #expect(read.dropLast().map(\.bitPattern) == expected.map(\.bitPattern))
        #expect(read.last?.isNaN == true)
    }

    /// The bulk F16 decoder agrees with Swift's `Float16` on all 65,536 bit patterns.
    @Test func f16DecodeMatchesFloat16ForEveryBitPattern() {
        let words = (0...UInt16.max).map { $0 }
        let raw = bytes16(words)
        let decoded = [Float](unsafeUninitializedCapacity: words.count) { out, n in
            raw.withUnsafeBytes { HalfFloat.decodeF16($0, into: out) }
            n = words.count
        }
        var mismatches = 0
        for (w, f) in zip(words, decoded) {
            let reference = Float(Float16(bitPattern: w))
            if reference.isNaN ? !f.isNaN : reference.bitPattern != f.bitPattern { mismatches += 1 }
        }
        #expect(mismatches == 0)
    }

    @Test func bf16RoundTripRoundsToNearestEven() throws {
        let cases: [(Float, UInt16)] = [
            (1, 0x3F80), (-2, 0xC000), (.infinity, 0x7F80), (0, 0x0000), (-0.0, 0x8000),
            (1.0 / 3.0, 0x3EAB),  // 0x3EAAAAAB: dropped half 0xAAAB > 0x8000, rounds up
            (Float(bitPattern: 0x3F80_8000), 0x3F80),  // tie, to even (down)
            (Float(bitPattern: 0x3F81_8000), 0x3F82),  // tie, to even (up)
            (.greatestFiniteMagnitude, 0x7F80),  // rounds up to inf
        ]
        let folder = ScratchFolder()
        let path = folder.file("bf16.safetensors")
        try SafeTensorsWriter.write(["x": ([cases.count], cases.map(\.0))], to: path, dtype: .bf16)
        let file = try SafeTensorsFile(path: path)
        #expect(try file.withRawBytes("x") { Array($0) } == bytes16(cases.map(\.1)))
        #expect(try file.floats("x").map(\.bitPattern) == cases.map { UInt32($0.1) << 16 })
        #expect(HalfFloat.bf16Bits(from: .nan) & 0x7FC0 == 0x7FC0)
    }

    @Test func layoutIsPaddedAlignedAndContiguous() throws {
        let folder = ScratchFolder()
        let path = folder.file("mixed.safetensors")
        var writer = SafeTensorsWriter(path: path, metadata: ["k": "v"])
        try writer.add("b.half", shape: [3], values: [1, 2, 3], dtype: .f16)
        try writer.add("a.full", shape: [1], values: [7])
        try writer.add("c.steps", shape: [1], dtype: .i64, rawBytes: [5, 0, 0, 0, 0, 0, 0, 0])
        try writer.add("d.mask", shape: [3], dtype: .u8, rawBytes: [1, 0, 1])
        try writer.write()

        let bytes = try readBytes(path)
        let n = bytes[0..<8].reversed().reduce(0) { $0 << 8 | Int($1) }
        #expect((8 + n) % 8 == 0)
        #expect(bytes[8] == UInt8(ascii: "{"))
        let header = String(decoding: bytes[8..<(8 + n)], as: UTF8.self)
        #expect(header.hasSuffix("}") || header.hasSuffix(" "))
        // Header keys by name; data by element size (8, 4, 2, 1), so each tensor is aligned to its size.
        #expect(header.contains(#""c.steps":{"dtype":"I64","shape":[1],"data_offsets":[0,8]}"#))
        #expect(header.contains(#""a.full":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}"#))
        #expect(header.contains(#""b.half":{"dtype":"F16","shape":[3],"data_offsets":[12,18]}"#))
        #expect(header.contains(#""d.mask":{"dtype":"U8","shape":[3],"data_offsets":[18,21]}"#))
        #expect(bytes.count == 8 + n + 21)

        let file = try SafeTensorsFile(path: path)
        #expect(file.names == ["a.full", "b.half", "c.steps", "d.mask"])
        #expect(try file.floats("b.half") == [1, 2, 3])
        #expect(try file.withRawBytes("c.steps") { $0.loadUnaligned(as: Int64.self) } == 5)
        let e = #expect(throws: SafeTensorsError.self) { try file.floats("c.steps") }
        #expect(e?.kind == .notConvertible(.i64))
        #expect(e?.tensor == "c.steps")
    }

    @Test func writerOverwritesAtomicallyAndCleansUpOnFailure() throws {
        let folder = ScratchFolder()
        let path = folder.file("w.safetensors")
        try SafeTensorsWriter.write(["x": ([1], [1])], to: path)
        try SafeTensorsWriter.write(["y": ([2], [2, 3])], to: path)
        #expect(try SafeTensorsFile(path: path).names == ["y"])

        // Renaming over a folder fails: the error names the target, and no partial file remains.
        let dir = folder.file("taken")
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: false)
        let e = #expect(throws: SafeTensorsError.self) { try SafeTensorsWriter.write(["x": ([1], [1])], to: dir) }
        #expect(e?.file == dir)
        #expect(folder.contents.sorted() == ["taken", "w.safetensors"])

        let missing = folder.file("no/such/folder/x.safetensors")
        let e2 = #expect(throws: SafeTensorsError.self) { try SafeTensorsWriter.write(["x": ([1], [1])], to: missing) }
        #expect(e2?.description.contains(missing) == true)
    }

    @Test func writerRejectsBadInput() {
        var writer = SafeTensorsWriter(path: "/tmp/never-written.safetensors")
        func kind(_ body: (inout SafeTensorsWriter) throws -> Void) -> SafeTensorsError? {
            do { try body(&writer); return nil } catch { return error as? SafeTensorsError }
        }
        #expect(kind { try $0.add("a", shape: [2, 2], values: [1, 2, 3]) }?.description.contains("'a'") == true)
        #expect(kind { try $0.add("b", shape: [-1], values: []) } != nil)
        #expect(kind { try $0.add("c", shape: [1], values: [1], dtype: .i32) } != nil)
        #expect(kind { try $0.add("__metadata__", shape: [1], values: [1]) } != nil)
        #expect(kind { try $0.add("d", shape: [2], dtype: .i32, rawBytes: [0, 0, 0, 0]) } != nil)
        #expect(kind { try $0.add("e", shape: [Int.max, 2], values: []) } != nil)
        #expect(kind { try $0.add("ok", shape: [1], values: [1]) } == nil)
        #expect(kind { try $0.add("ok", shape: [1], values: [1]) }?.kind == .invalidTensor(reason: "a tensor of this name was already added"))
    }

    @Test func missingTensorNamesFileAndCloseNames() throws {
        let folder = ScratchFolder()
        let path = folder.file("unet.safetensors")
        let names = ["conv_in.weight", "conv_in.bias", "down_blocks.0.resnets.0.conv1.weight",
                     "down_blocks.0.resnets.1.conv1.weight", "time_embedding.linear_1.weight"]
        try SafeTensorsWriter.write(Dictionary(uniqueKeysWithValues: names.map { ($0, ([1], [Float(0)])) }), to: path)
        let file = try SafeTensorsFile(path: path)

        let e = #expect(throws: SafeTensorsError.self) { try file.floats("down_blocks.0.resnets.2.conv1.weight") }
        guard case .tensorNotFound(let close)? = e?.kind else { Issue.record("got \(String(describing: e))"); return }
        #expect(close.first == "down_blocks.0.resnets.0.conv1.weight")
        #expect(e?.description.contains(path) == true)
        #expect(e?.description.contains("down_blocks.0.resnets.2.conv1.weight") == true)

        // A prefixed name (single-file LDM checkpoints) suggests the unprefixed tensor first.
        let e2 = #expect(throws: SafeTensorsError.self) { try file.entry("model.diffusion_model.conv_in.weight") }
        #expect(e2?.kind == .tensorNotFound(closeNames: ["conv_in.weight"]))

        let e3 = #expect(throws: SafeTensorsError.self) { try file.floats("conv_in.weight", shape: [320, 4, 3, 3]) }
        #expect(e3?.kind == .shapeMismatch(expected: [320, 4, 3, 3], found: [1]))
        #expect(e3?.description.contains("[320, 4, 3, 3]") == true)
    }
}

import Foundation
import Testing
@testable import SafeTensors

/// Files assembled byte by byte, so the reader is checked independently of the writer.
@Suite struct HandBuiltFileTests {
    @Test func readsHandBuiltFile() throws {
        // Data section (offsets relative to its start):
        //   [0, 6)    "h"  F16 [3]      1, -2, 65504
        //   [6, 14)   "f"  F32 [2]      0.1, -3   (unaligned: starts at 6)
        //   [14, 18)  gap (allowed, ignored)
        //   [18, 24)  "b"  BF16 [1,3]   1, -inf, 2^-133 (smallest BF16 subnormal)
        //   [24, 24)  "z"  F32 [0,4]    empty
        //   [24, 28)  "s"  F32 []       scalar 42
        let data = bytes16([0x3C00, 0xC000, 0x7BFF]) + bytes32([0.1, -3]) + [9, 9, 9, 9]
            + bytes16([0x3F80, 0xFF80, 0x0001]) + bytes32([42])
        let header = """
            {"__metadata__": {"format": "pt", "caf\\u00e9": "\\ud83d\\ude00\\n"},
             "h": {"dtype": "F16", "shape": [3], "data_offsets": [0, 6]},
             "f": {"shape": [2], "data_offsets": [6, 14], "dtype": "F32", "extra": null},
             "b": {"dtype": "BF16", "shape": [1, 3], "data_offsets": [18, 24]},
             "z": {"dtype": "F32", "shape": [0, 4], "data_offsets": [24, 24]},
             "s": {"dtype": "F32", "shape": [], "data_offsets": [24, 28]}}\("   ")
            """
        let folder = ScratchFolder()
        let path = folder.file("hand.safetensors")
        try write(safetensorsBytes(header: header, data: data), to: path)

        let file = try SafeTensorsFile(path: path)
        #expect(file.names == ["b", "f", "h", "s", "z"])
        #expect(file.metadata == ["format": "pt", "café": "😀\n"])
        #expect(try file.floats("h") == [1, -2, 65504])
        #expect(try file.floats("f") == [0.1, -3])
        #expect(try file.floats("b") == [1, -.infinity, 0x1p-133])
        #expect(try file.entry("b") == TensorEntry(name: "b", dtype: .bf16, shape: [1, 3], dataOffsets: 18..<24, elementCount: 3))
        #expect(try file.floats("z") == [])
        #expect(try file.entry("z").elementCount == 0)
        #expect(try file.floats("s") == [42])
        #expect(try file.withRawBytes("h") { Array($0) } == [0x00, 0x3C, 0x00, 0xC0, 0xFF, 0x7B])
    }

    @Test func f16SpecialValuesDecode() throws {
        let words: [UInt16] = [0x0001, 0x03FF, 0x0400, 0x8001, 0x7C00, 0xFC00, 0x7E00, 0x3555, 0x8000]
        let header = #"{"x":{"dtype":"F16","shape":[9],"data_offsets":[0,18]}}"#
        let folder = ScratchFolder()
        let path = folder.file("special.safetensors")
        try write(safetensorsBytes(header: header, data: bytes16(words)), to: path)
        let v = try SafeTensorsFile(path: path).floats("x")
        #expect(v[0] == 0x1p-24)
        #expect(v[1] == 0x1.ff8p-15)  // largest subnormal: 1023 × 2^-24
        #expect(v[2] == 0x1p-14)
        #expect(v[3] == -0x1p-24)
        #expect(v[4] == .infinity)
        #expect(v[5] == -.infinity)
        #expect(v[6].isNaN)
        #expect(v[7] == 0.333251953125)
        #expect(v[8] == 0 && v[8].sign == .minus)
    }
}

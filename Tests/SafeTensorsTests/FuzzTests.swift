import Foundation
import Testing
@testable import SafeTensors

/// Truncated and randomly mutated files never crash or read out of bounds: they either fail with a
/// ``SafeTensorsError`` or open and read completely.
@Suite struct FuzzTests {
    /// A small valid file with every kind of entry: F32, F16, BF16, I64, empty, scalar, metadata.
    static func sample(in folder: ScratchFolder) throws -> [UInt8] {
        let path = folder.file("sample.safetensors")
        var writer = SafeTensorsWriter(path: path, metadata: ["format": "pt", "é": "x"])
        try writer.add("conv.weight", shape: [2, 1, 2, 2], values: (0..<8).map { Float($0) - 3.5 })
        try writer.add("norm.weight", shape: [3], values: [1, -0.5, 65504], dtype: .f16)
        try writer.add("emb", shape: [2, 2], values: [1, 2, 3, 1e30], dtype: .bf16)
        try writer.add("step", shape: [], dtype: .i64, rawBytes: [7, 0, 0, 0, 0, 0, 0, 0])
        try writer.add("none", shape: [0, 3], values: [])
        try writer.add("s", shape: [], values: [0.25])
        try writer.write()
        return try readBytes(path)
    }

    @Test func everyTruncationFailsCleanly() throws {
        let folder = ScratchFolder()
        let bytes = try Self.sample(in: folder)
        let path = folder.file("prefix.safetensors")
        for n in 0..<bytes.count {
            try write(Array(bytes[0..<n]), to: path)
            #expect(openError(path) != nil, "prefix of \(n) of \(bytes.count) bytes opened")
        }
        try write(bytes, to: path)
        let file = try SafeTensorsFile(path: path)
        readEverything(file)
        #expect(try file.floats("norm.weight") == [1, -0.5, 65504])
    }

    @Test func randomMutationsNeverCrash() throws {
        let folder = ScratchFolder()
        let original = try Self.sample(in: folder)
        let headerEnd = 8 + original[0..<8].reversed().reduce(0) { $0 << 8 | Int($1) }
        let interesting: [UInt8] = Array("{}[]\":,-0123456789.eE \\u".utf8) + [0x00, 0x7F, 0x80, 0xC3, 0xED, 0xFF]
        var rng = SeededGenerator(state: 0x5AFE)
        let path = folder.file("mutant.safetensors")
        var opened = 0
        var kinds: Set<String> = []
        let runs = 3000
        for _ in 0..<runs {
            var bytes = original
            for _ in 0..<Int.random(in: 1...4, using: &rng) {
                // Mostly aim at the header, where the parsing is.
                let inHeader = Int.random(in: 0..<4, using: &rng) > 0
                let at = inHeader ? Int.random(in: 0..<headerEnd, using: &rng) : Int.random(in: 0..<bytes.count, using: &rng)
                guard at < bytes.count else { continue }
                switch Int.random(in: 0..<6, using: &rng) {
                case 0: bytes[at] ^= 1 << UInt8.random(in: 0..<8, using: &rng)
                case 1: bytes[at] = interesting.randomElement(using: &rng)!
                case 2: bytes[at] = UInt8.random(in: 0...255, using: &rng)
                case 3: bytes.insert(interesting.randomElement(using: &rng)!, at: at)
                case 4: bytes.remove(at: at)
                default:  // a digit run replaced by a huge or negative number
                    if bytes[at] >= UInt8(ascii: "0"), bytes[at] <= UInt8(ascii: "9") {
                        bytes.replaceSubrange(at...at, with: Array(["99999999999999999999", "-1", "9223372036854775807", "1e9"]
                            .randomElement(using: &rng)!.utf8))
                    }
                }
            }
            try write(bytes, to: path)
            do {
                readEverything(try SafeTensorsFile(path: path))
                opened += 1
            } catch {
                kinds.insert(String(describing: error.kind).prefix { $0 != "(" }.description)
            }
        }
        // Some mutations are harmless (a changed data byte, metadata text); most break the header, and they
        // reach the checks past JSON parsing too.
        #expect(opened > 0 && opened < runs)
        #expect(kinds.isSuperset(of: ["headerNotJSON", "headerBeyondFile", "invalidShape", "sizeMismatch", "unknownDType"]),
                "\(kinds.sorted())")
    }
}

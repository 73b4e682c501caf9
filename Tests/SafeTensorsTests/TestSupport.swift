import Foundation
@testable import SafeTensors

/// A fresh folder under the system temporary folder, removed with everything in it when released.
final class ScratchFolder {
    let path: String

    init() {
        path = NSTemporaryDirectory() + "/safetensors-tests-\(UUID().uuidString)"
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    func file(_ name: String) -> String { path + "/" + name }

    var contents: [String] { (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? [] }
}

/// The bytes of a safetensors file built by hand: the 8-byte little-endian length (the header's own byte
/// count unless `length` overrides it), the header text, then the data section.
func safetensorsBytes(header: String, data: [UInt8] = [], length: UInt64? = nil) -> [UInt8] {
    let text = Array(header.utf8)
    let n = length ?? UInt64(text.count)
    return (0..<8).map { UInt8(truncatingIfNeeded: n >> (8 * UInt64($0))) } + text + data
}

func write(_ bytes: [UInt8], to path: String) throws {
    try Data(bytes).write(to: URL(fileURLWithPath: path))
}

func readBytes(_ path: String) throws -> [UInt8] {
    [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
}

/// Little-endian bytes of 16-bit words (F16, BF16 bit patterns).
func bytes16(_ words: [UInt16]) -> [UInt8] { words.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] } }

/// Little-endian bytes of Floats.
func bytes32(_ values: [Float]) -> [UInt8] {
    values.flatMap { v in (0..<4).map { UInt8(truncatingIfNeeded: v.bitPattern >> (8 * UInt32($0))) } }
}

/// Opens `path` expecting a ``SafeTensorsError``; returns it, or nil if the file opened.
func openError(_ path: String) -> SafeTensorsError? {
    do {
        _ = try SafeTensorsFile(path: path)
        return nil
    } catch {
        return error
    }
}

/// Reads every tensor of an opened file the way a loader would: floats where they convert, raw bytes otherwise.
/// Returns a checksum so the reads cannot be optimised away.
@discardableResult
func readEverything(_ file: SafeTensorsFile) -> UInt64 {
    var sum: UInt64 = 0
    for name in file.names {
        guard let entry = try? file.entry(name) else { continue }
        if entry.dtype.convertsToFloat, let values = try? file.floats(name) {
            for v in values { sum = sum &* 31 &+ UInt64(v.bitPattern) }
        }
        _ = try? file.withRawBytes(name) { raw in for b in raw { sum = sum &* 31 &+ UInt64(b) } }
    }
    return sum
}

/// SplitMix64: a small seeded generator so fuzz runs are reproducible.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

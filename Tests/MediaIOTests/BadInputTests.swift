import Foundation
import Testing
@testable import MediaIO

/// Every bad input gives a typed error that names the file; no crash, no hang, nothing overwritten.
@Suite struct BadInputTests {
    @Test func missingFile() {
        let error = #expect(throws: MediaError.self) { try VideoReader.read("/nonexistent/clip.mp4") }
        #expect(error == .missingFile(path: "/nonexistent/clip.mp4"))
        #expect(error?.description.contains("/nonexistent/clip.mp4") == true)
    }

    @Test func notAVideo() throws {
        let dir = TempDir()
        let path = dir.file("notes.mp4")
        try Data("this is text, not a video\n".utf8).write(to: URL(fileURLWithPath: path))
        let error = #expect(throws: MediaError.self) { try VideoReader.read(path) }
        guard case .notAVideo(let p, let reason)? = error else { Issue.record("got \(String(describing: error))"); return }
        #expect(p == path)
        #expect(!reason.isEmpty)
        #expect(throws: MediaError.self) { try VideoReader.info(path) }
    }

    @Test func emptyFileAndEmptyFolder() throws {
        let dir = TempDir()
        let empty = dir.file("empty.avi")
        FileManager.default.createFile(atPath: empty, contents: Data())
        let e1 = #expect(throws: MediaError.self) { try VideoReader.read(empty) }
        #expect(e1?.path == empty)
        let folder = dir.file("frames")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let e2 = #expect(throws: MediaError.self) { try VideoReader.read(folder) }
        guard case .noFrames(let p, _)? = e2 else { Issue.record("got \(String(describing: e2))"); return }
        #expect(p == folder)
    }

    @Test func truncatedStreamDecodesWhatIsReadable() throws {
        let dir = TempDir()
        let path = dir.file("full.mkv")
        try VideoWriter.write(syntheticFrames(count: 24, width: 64, height: 48), frameRate: 12, to: path)
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        let cut = dir.file("cut.mkv")
        try data.prefix(data.count * 6 / 10).write(to: URL(fileURLWithPath: cut))
        let clip = try VideoReader.read(cut)
        #expect(clip.frames.count > 0 && clip.frames.count < 24)
    }

    @Test func corruptStreamCountsBadFramesOrFails() throws {
        let dir = TempDir()
        let path = dir.file("full.avi")
        // MJPEG in AVI: each frame is independent, so flipped bytes spoil single frames.
        let frames = syntheticFrames(count: 10, width: 64, height: 48)
        try ImageWriter.writePNG(frames[0], to: dir.file("probe.png"))
        try VideoWriter.write(frames, frameRate: 10, to: dir.file("ok.mkv"))
        var data = try Data(contentsOf: URL(fileURLWithPath: dir.file("ok.mkv")))
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<200 { data[Int.random(in: 400..<data.count, using: &rng)] ^= 0xFF }
        try data.write(to: URL(fileURLWithPath: path))
        // Either some frames decode (bad ones counted in a warning) or a clear error names the file.
        do {
            let clip = try VideoReader.read(path)
            #expect(clip.frames.count + clip.badFrames >= 1)
        } catch let error as MediaError {
            #expect(error.path == path)
        }
    }

    @Test func mixedFrameSizesInAFolder() throws {
        let dir = TempDir()
        let folder = dir.file("frames")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try ImageWriter.writePNG(RGBImage(width: 16, height: 16), to: folder + "/00000.png")
        try ImageWriter.writePNG(RGBImage(width: 16, height: 16), to: folder + "/00001.png")
        try ImageWriter.writePNG(RGBImage(width: 24, height: 16), to: folder + "/00002.png")
        let error = #expect(throws: MediaError.self) { try VideoReader.read(folder) }
        #expect(error == .mixedFrameSizes(path: folder, frame: "00002.png", expected: Size(width: 16, height: 16), found: Size(width: 24, height: 16)))
    }

    @Test func framesOfAFolderAreInNumericOrder() throws {
        let dir = TempDir()
        let folder = dir.file("frames")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        for n in [10, 2, 1] {
            try ImageWriter.writePNG(RGBImage(width: 8, height: 8, fill: (UInt8(n), 0, 0)), to: folder + "/frame\(n).png")
        }
        let clip = try VideoReader.read(folder)
        #expect(clip.frames.map { $0[0, 0].0 } == [1, 2, 10])
    }

    @Test func sizeOrCountNotPositive() throws {
        let dir = TempDir()
        let path = dir.file("c.png")
        try ImageWriter.writePNG(RGBImage(width: 8, height: 8), to: path)
        for selection in [FrameSelection(size: .shortSide(0)), FrameSelection(size: .exact(width: -4, height: 8)),
                          FrameSelection(count: 0), FrameSelection(stride: 0)] {
            let error = #expect(throws: MediaError.self) { try VideoReader.read(path, selection: selection) }
            guard case .invalidSelection(let p, _)? = error else { Issue.record("got \(String(describing: error))"); continue }
            #expect(p == path)
        }
    }

    @Test func outputNeverOverwritesAnInput() throws {
        let dir = TempDir()
        let path = dir.file("in.mp4")
        try VideoWriter.write(syntheticFrames(count: 2, width: 16, height: 16), frameRate: 2, to: path)
        let before = try Data(contentsOf: URL(fileURLWithPath: path))
        let error = #expect(throws: MediaError.self) {
            try VideoWriter.write(syntheticFrames(count: 2, width: 16, height: 16), frameRate: 2, to: dir.path + "/./in.mp4", inputs: [path])
        }
        #expect(error == .outputIsInput(path: dir.path + "/./in.mp4"))
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before)
        #expect(throws: MediaError.self) { try ContactSheet.write(clips: [path], to: path) }
    }

    @Test func failedWriteLeavesNothingBehind() throws {
        let dir = TempDir()
        let error = #expect(throws: MediaError.self) {
            try VideoWriter.write([RGBImage(width: 8, height: 8), RGBImage(width: 16, height: 8)], frameRate: 2, to: dir.file("x.mp4"))
        }
        #expect(error?.path == dir.file("x.mp4"))
        #expect(throws: MediaError.self) { try VideoWriter.write([RGBImage(width: 8, height: 8)], frameRate: 2, to: dir.file("x.webp")) }
        #expect(throws: MediaError.self) { try VideoWriter.write([RGBImage(width: 8, height: 8)], frameRate: 2, to: dir.file("no/such/dir/x.mp4")) }
        #expect(leftovers(in: dir.path, except: []).isEmpty)
    }
}

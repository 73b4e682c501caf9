import Foundation
import Testing
@testable import MediaIO

@Suite struct FrameSelectionTests {
    @Test func indicesFollowCountStrideAndStart() {
        #expect(FrameSelection(count: 4, stride: 3, start: .frame(2)).indices(total: 100, frameRate: 30) == [2, 5, 8, 11])
        #expect(FrameSelection(count: 10, stride: 4).indices(total: 10, frameRate: 30) == [0, 4, 8])
        #expect(FrameSelection().indices(total: 3, frameRate: 30) == [0, 1, 2])
        // 1.5 s at 10 fps is frame 15.
        #expect(FrameSelection(count: 2, start: .seconds(1.5)).indices(total: 80, frameRate: 10) == [15, 16])
        #expect(FrameSelection(start: .frame(90)).indices(total: 80, frameRate: 10).isEmpty)
    }

    @Test func streamingSelectionMatchesIndices() {
        let selection = FrameSelection(count: 3, stride: 2, start: .frame(1))
        var taken: [Int] = []
        for i in 0..<20 {
            let (take, more) = selection.selects(i, frameRate: 8, alreadySelected: taken.count)
            if take { taken.append(i) }
            if !more { break }
        }
        #expect(taken == selection.indices(total: 20, frameRate: 8))
    }

    @Test func shortSideKeepsAspectInMultiplesOf8() {
        // 130x97 → short side 64: 85.8x64 → 88x64 after rounding; cover-scale then center crop.
        let plan = SizeTarget.shortSide(64).plan(for: Size(width: 130, height: 97))
        #expect(plan.output == Size(width: 88, height: 64))
        #expect(plan.scaled.width >= 88 && plan.scaled.height >= 64)
        #expect(plan.offset.x == (plan.scaled.width - 88) / 2 && plan.offset.y == (plan.scaled.height - 64) / 2)
        let hd = SizeTarget.shortSide(512).plan(for: Size(width: 1920, height: 1080))
        #expect(hd.output == Size(width: 912, height: 512))
    }

    @Test func exactSizeCoversAndCentersTheCrop() {
        // 200x100 to 64x64: scale to height 64 (128x64), crop the middle 64 columns.
        let plan = SizeTarget.exact(width: 64, height: 64).plan(for: Size(width: 200, height: 100))
        #expect(plan == ResizePlan(scaled: Size(width: 128, height: 64), offset: (32, 0), output: Size(width: 64, height: 64)))
        // Non-multiples of 8 round to the nearest multiple.
        #expect(SizeTarget.exact(width: 100, height: 61).plan(for: Size(width: 100, height: 61)).output == Size(width: 104, height: 64))
        #expect(SizeTarget.original.plan(for: Size(width: 131, height: 97)).output == Size(width: 131, height: 97))
    }

    @Test func parsing() {
        #expect(SizeTarget(parsing: "512") == .shortSide(512))
        #expect(SizeTarget(parsing: "320x256") == .exact(width: 320, height: 256))
        #expect(SizeTarget(parsing: "wide") == nil)
        #expect(CropBox(parsing: "100x80+10+20") == .rect(x: 10, y: 20, width: 100, height: 80))
        #expect(CropBox(parsing: "1,2,3,4") == .margins(left: 1, top: 2, right: 3, bottom: 4))
        #expect(CropBox(parsing: "1,2") == nil)
    }

    @Test func cropBoxesResolveOrExplain() throws {
        let r = try CropBox.margins(left: 10, top: 5, right: 20, bottom: 15).resolve(in: Size(width: 100, height: 50), path: "x")
        #expect(r.x == 10 && r.y == 5 && r.width == 70 && r.height == 30)
        #expect(throws: MediaError.self) { try CropBox.rect(x: 90, y: 0, width: 20, height: 10).resolve(in: Size(width: 100, height: 50), path: "x") }
    }

    @Test func cropThenResizeOnARealDecode() throws {
        let dir = TempDir()
        let frames = syntheticFrames(count: 10, width: 130, height: 97)
        let path = dir.file("src.png")
        try ImageWriter.writePNG(frames[0], to: path)
        let clip = try VideoReader.read(path, selection: FrameSelection(crop: .rect(x: 0, y: 0, width: 65, height: 97), size: .exact(width: 32, height: 48)))
        #expect(clip.frames[0].size == Size(width: 32, height: 48))
        // The left half of the gradient: reddish channel stays below its midpoint value.
        let (r, _, _) = clip.frames[0][16, 40]
        #expect(r < 120)
    }

    @Test func selectionOnAClipTakesTheRightFrames() throws {
        let dir = TempDir()
        let frames = syntheticFrames(count: 16, width: 64, height: 64)
        let path = dir.file("sel.mp4")
        try VideoWriter.write(frames, frameRate: 16, to: path)
        let clip = try VideoReader.read(path, selection: FrameSelection(count: 4, stride: 3, start: .seconds(0.25), size: .shortSide(32)))
        #expect(clip.sourceIndices == [4, 7, 10, 13])
        #expect(abs(clip.frameRate - 16.0 / 3) < 1e-9)
        #expect(clip.frames.allSatisfy { $0.size == Size(width: 32, height: 32) })
        // Each selected frame matches the downscaled source frame it came from.
        let resampler = PixelConverter()
        for (frame, index) in zip(clip.frames, clip.sourceIndices) {
            let expected = resampler.resize(frames[index], to: Size(width: 32, height: 32))!
            #expect(ImageMetrics.psnr(frame, expected) >= 28)
        }
    }

    @Test func askingForMoreFramesThanExistWarns() throws {
        let dir = TempDir()
        let path = dir.file("short.mp4")
        try VideoWriter.write(syntheticFrames(count: 5, width: 32, height: 32), frameRate: 5, to: path)
        let clip = try VideoReader.read(path, selection: FrameSelection(count: 8))
        #expect(clip.frames.count == 5)
        #expect(clip.warnings.contains { $0.contains("asked for 8 frames") })
    }
}

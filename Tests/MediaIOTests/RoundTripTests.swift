import Foundation
import Testing
@testable import MediaIO

@Suite struct RoundTripTests {
    @Test func mp4RoundTripKeepsQualityAndFrameRate() throws {
        let dir = TempDir()
        let frames = syntheticFrames(count: 12, width: 96, height: 64)
        let path = dir.file("clip.mp4")
        let encoder = try VideoWriter.write(frames, frameRate: 12, to: path)
        #expect(encoder == "libx264" || encoder == "mpeg4")
        let clip = try VideoReader.read(path)
        #expect(clip.frames.count == 12)
        #expect(clip.info.size == Size(width: 96, height: 64))
        #expect(abs(clip.frameRate - 12) < 1e-6)
        for (a, b) in zip(frames, clip.frames) {
            let psnr = ImageMetrics.psnr(a, b)
            #expect(psnr >= 30, "PSNR \(psnr) dB below 30 dB")
        }
        #expect(leftovers(in: dir.path, except: ["clip.mp4"]).isEmpty)
    }

    /// Other containers and codecs read back with the right frames: MOV and MKV (H.264), WebM (VP9).
    @Test(arguments: ["mov", "mkv", "webm"])
    func otherContainersRoundTrip(_ ext: String) throws {
        let dir = TempDir()
        let frames = syntheticFrames(count: 6, width: 64, height: 48)
        let path = dir.file("clip.\(ext)")
        let encoder = try VideoWriter.write(frames, frameRate: 6, to: path)
        let clip = try VideoReader.read(path)
        let info = try VideoReader.info(path)
        #expect(clip.frames.count == 6 && info.frameCount == 6, "\(ext) via \(encoder)")
        #expect(info.codec == (ext == "webm" ? "vp9" : (encoder == "libx264" ? "h264" : "mpeg4")))
        #expect(abs(info.frameRate - 6) < 1e-6)
        for (a, b) in zip(frames, clip.frames) { #expect(ImageMetrics.psnr(a, b) >= 30) }
    }

    @Test func oddSizedFramesArePaddedToEvenAndKeepTheirContent() throws {
        let dir = TempDir()
        let frames = syntheticFrames(count: 4, width: 131, height: 97)
        let path = dir.file("odd.mp4")
        try VideoWriter.write(frames, frameRate: 8, to: path)
        let clip = try VideoReader.read(path)
        #expect(clip.info.size == Size(width: 132, height: 98))
        let cropped = clip.frames[0].cropped(x: 0, y: 0, width: 131, height: 97)
        #expect(ImageMetrics.psnr(cropped, frames[0]) >= 30)
    }

    @Test func pngIsExact() throws {
        let dir = TempDir()
        let image = syntheticFrames(count: 1, width: 130, height: 97)[0]
        let path = dir.file("still.png")
        try ImageWriter.writePNG(image, to: path)
        #expect(try ImageWriter.read(path) == image)
    }

    @Test func gifWithFewColorsIsExact() throws {
        let dir = TempDir()
        // Three flat colours: the palette holds them exactly.
        let frames = (0..<6).map { f -> RGBImage in
            var image = RGBImage(width: 40, height: 30, fill: (10, 20, 200))
            for y in 5..<15 { for x in (f * 4)..<(f * 4 + 10) { image[x, y] = (250, 30, 30) } }
            image[0, 0] = (0, 255, 0)
            return image
        }
        let path = dir.file("anim.gif")
        try VideoWriter.write(frames, frameRate: 10, to: path)
        let clip = try VideoReader.read(path)
        #expect(clip.frames.count == 6)
        for (a, b) in zip(frames, clip.frames) { #expect(a == b) }
    }

    @Test func gifOfManyColorsStaysWithinPaletteError() throws {
        let dir = TempDir()
        let frames = syntheticFrames(count: 8, width: 80, height: 60)
        let path = dir.file("grad.gif")
        try VideoWriter.write(frames, frameRate: 8, to: path)
        let clip = try VideoReader.read(path)
        #expect(clip.frames.count == 8)
        #expect(abs(clip.info.frameRate - 8) < 0.5)
        for (a, b) in zip(frames, clip.frames) {
            // 256 median-cut colours for a smooth gradient: every byte within 12 levels, mean well below 3.
            #expect(ImageMetrics.maxAbsoluteError(a, b) <= 12)
            #expect(ImageMetrics.meanAbsoluteError(a, b) < 3)
        }
    }

    @Test func frameBatchMapsBytesToUnitRangeAndBack() {
        let image = RGBImage(width: 2, height: 1, pixels: [0, 255, 128, 1, 2, 3])
        let batch = FrameBatch(images: [image], frameRate: 8)
        // [F=1, C=3, H=1, W=2]: R plane (0, 1), G plane (255, 2), B plane (128, 3).
        #expect(batch.values[0] == -1)
        #expect(batch.values[2] == 1)
        #expect(abs(batch.values[4] - (128 / 127.5 - 1)) < 1e-7)
        #expect(batch.image(0) == image)
    }

    @Test func rotationMetadataIsAppliedWhenReading() throws {
        let dir = TempDir()
        let frames = syntheticFrames(count: 3, width: 64, height: 32)
        for degrees in [90, 180, 270] {
            let path = dir.file("rot\(degrees).mp4")
            try VideoWriter.write(frames, frameRate: 8, to: path, rotation: degrees)
            let info = try VideoReader.info(path)
            #expect(info.rotation == degrees)
            #expect(info.size == (degrees == 180 ? Size(width: 64, height: 32) : Size(width: 32, height: 64)))
            let clip = try VideoReader.read(path)
            let expected = frames[1].rotatedClockwise(quarterTurns: degrees / 90)
            #expect(ImageMetrics.psnr(clip.frames[1], expected) >= 30, "rotation \(degrees)")
        }
    }

    @Test func rotationOfPixelsIsExact() {
        let image = RGBImage(width: 3, height: 2, pixels: Array(0..<18))
        let r = image.rotatedClockwise(quarterTurns: 1)
        #expect(r.size == Size(width: 2, height: 3))
        // Clockwise: the bottom-left pixel becomes the top-left one.
        #expect(r[0, 0] == image[0, 1])
        #expect(r[1, 0] == image[0, 0])
        #expect(image.rotatedClockwise(quarterTurns: 4) == image)
        #expect(image.rotatedClockwise(quarterTurns: 1).rotatedClockwise(quarterTurns: 3) == image)
        #expect(image.rotatedClockwise(quarterTurns: 2) == image.rotatedClockwise(quarterTurns: -2))
    }

    @Test func contactSheetPlacesCellsInRowsWithGaps() throws {
        let red = RGBImage(width: 10, height: 10, fill: (255, 0, 0))
        let blue = RGBImage(width: 20, height: 10, fill: (0, 0, 255))
        let sheet = ContactSheet.compose(rows: [[red, red, red], [blue]], cellHeight: 10, gap: 2, background: (0, 0, 0))
        // Width: 3 cells of 10 + 2 gaps between + 2 margins = 38; height: 2 rows of 10 + 3 gaps = 26.
        #expect(sheet.size == Size(width: 38, height: 26))
        #expect(sheet[2, 2] == (255, 0, 0))
        #expect(sheet[12, 2] == (0, 0, 0))  // gap between cells
        #expect(sheet[14, 2] == (255, 0, 0))
        #expect(sheet[2, 14] == (0, 0, 255))
        #expect(sheet[22, 14] == (0, 0, 0))  // right of the single blue cell
    }
}

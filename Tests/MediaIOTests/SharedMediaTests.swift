import Foundation
import Testing
@testable import MediaIO

/// Real research clips from `../shared/media`; skipped (with a message) in a clone without that folder.
@Suite(.enabled(if: sharedMedia != nil, "../shared/media is absent; real-clip tests skipped"))
struct SharedMediaTests {
    /// (file, frames, width, height, fps) as ffprobe -count_frames reports them.
    static let expected: [(String, Int, Int, Int, Double)] = [
        ("car-turn.mp4", 80, 480, 480, 10),
        ("rabbit-watermelon.mp4", 186, 718, 718, 30),
        ("dog-source.avi", 8, 512, 512, 8),
        ("sunflower-frames", 8, 512, 512, 8),
    ]

    @Test(arguments: 0..<expected.count)
    func infoMatchesFFprobe(_ i: Int) throws {
        let (name, frames, w, h, fps) = Self.expected[i]
        let info = try VideoReader.info(sharedMedia! + "/" + name)
        #expect(info.frameCount == frames)
        #expect(info.size == Size(width: w, height: h))
        #expect(abs(info.frameRate - fps) < 1e-6)
        #expect(info.rotation == 0)
    }

    @Test(arguments: 0..<expected.count)
    func decodesEveryFrameAtItsSize(_ i: Int) throws {
        let (name, frames, w, h, _) = Self.expected[i]
        let clip = try VideoReader.read(sharedMedia! + "/" + name)
        #expect(clip.frames.count == frames)
        #expect(clip.badFrames == 0)
        #expect(clip.frames.allSatisfy { $0.size == Size(width: w, height: h) })
    }

    @Test func researchStyleSelectionOfACarClip() throws {
        // 8 frames, every 5th, resized to 512 short side (as a 512x512 edit would use).
        let clip = try VideoReader.read(sharedMedia! + "/car-turn.mp4", selection: FrameSelection(count: 8, stride: 5, size: .shortSide(256)))
        #expect(clip.sourceIndices == [0, 5, 10, 15, 20, 25, 30, 35])
        #expect(clip.frames.allSatisfy { $0.size == Size(width: 256, height: 256) })
        #expect(clip.batch.values.count == 8 * 3 * 256 * 256)
        #expect(abs(clip.frameRate - 2) < 1e-9)
    }
}

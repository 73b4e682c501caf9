import Foundation
@testable import MediaIO

/// A smooth test clip: a diagonal gradient with a bright square moving right (easy on video codecs,
/// yet every frame differs).
func syntheticFrames(count: Int, width: Int, height: Int) -> [RGBImage] {
    (0..<count).map { f in
        var image = RGBImage(width: width, height: height)
        let side = max(4, min(width, height) / 4)
        let sx = (width - side) * f / max(1, count - 1), sy = (height - side) / 2
        for y in 0..<height {
            for x in 0..<width {
                let inSquare = x >= sx && x < sx + side && y >= sy && y < sy + side
                image[x, y] = inSquare
                    ? (240, 220, 40)
                    : (UInt8(40 + 150 * x / width), UInt8(60 + 120 * y / height), UInt8(200 - 100 * (x + y) / (width + height)))
            }
        }
        return image
    }
}

/// A fresh temporary folder, removed by the caller with `cleanup`.
final class TempDir {
    let path: String
    init() {
        path = (NSTemporaryDirectory() as NSString).appendingPathComponent("ctxedit-tests-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }
    func file(_ name: String) -> String { (path as NSString).appendingPathComponent(name) }
    deinit { try? FileManager.default.removeItem(atPath: path) }
}

/// `../shared/media` beside the project root, when present.
let sharedMedia: String? = {
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    let media = root.deletingLastPathComponent().appendingPathComponent("shared/media").path
    return FileManager.default.fileExists(atPath: media) ? media : nil
}()

/// Files in `dir` other than the given names (to check that no temporary file was left behind).
func leftovers(in dir: String, except names: Set<String>) -> [String] {
    ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).filter { !names.contains($0) }
}

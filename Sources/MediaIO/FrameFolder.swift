import Foundation

/// A folder of numbered still frames (`00000.png`, `frame_12.jpg`, ...), read in numeric order.
struct FrameFolder {
    static let imageExtensions: Set<String> = ["png", "jpg", "jpeg", "bmp", "webp", "tif", "tiff"]

    let path: String
    let frameRate: Double
    /// Image files in frame order.
    let files: [String]

    init(path: String, frameRate: Double = VideoReader.defaultFrameRate) throws {
        self.path = path
        self.frameRate = frameRate
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: path)
        } catch {
            throw MediaError.notAVideo(path: path, reason: "cannot list the folder: \(error.localizedDescription)")
        }
        let images = names.filter { Self.imageExtensions.contains(($0 as NSString).pathExtension.lowercased()) && !$0.hasPrefix(".") }
        guard !images.isEmpty else {
            throw MediaError.noFrames(path: path, reason: "the folder holds no PNG or JPEG frames")
        }
        files = images.sorted(by: Self.frameOrder).map { (path as NSString).appendingPathComponent($0) }
    }

    /// Numeric order by the last run of digits in the name (`frame2` before `frame10`), then by name.
    static func frameOrder(_ a: String, _ b: String) -> Bool {
        switch (frameNumber(a), frameNumber(b)) {
        case let (x?, y?) where x != y: return x < y
        case (_?, nil): return true
        case (nil, _?): return false
        default: return a < b
        }
    }

    static func frameNumber(_ name: String) -> Int? {
        let stem = (name as NSString).deletingPathExtension
        var digits = ""
        for ch in stem.reversed() {
            if ch.isASCII && ch.isNumber { digits.insert(ch, at: digits.startIndex) } else if !digits.isEmpty { break }
        }
        return digits.isEmpty ? nil : Int(digits.prefix(18))
    }

    func info() throws -> VideoInfo {
        let first = try StreamDecoder(path: files[0])
        var size: Size?
        try first.decode { _, image in size = image.size; return false }
        guard let size else { throw MediaError.noFrames(path: files[0], reason: "the image could not be decoded") }
        return VideoInfo(path: path, container: "frames", codec: first.codecName, size: size, frameRate: frameRate,
                         frameRateKnown: false, duration: Double(files.count) / frameRate, frameCount: files.count,
                         rotation: 0)
    }

    func read(selection: FrameSelection) throws -> Clip {
        let indices = selection.indices(total: files.count, frameRate: frameRate)
        let preparer = FramePreparer(selection: selection, path: path)
        var frames: [RGBImage] = []
        var taken: [Int] = []
        var firstSize: Size?
        var bad = 0
        var lastError: String?
        for index in indices {
            let file = files[index]
            var picture: RGBImage?
            do {
                let decoder = try StreamDecoder(path: file)
                try decoder.decode { _, image in picture = image; return false }
            } catch {
                bad += 1
                lastError = "\((file as NSString).lastPathComponent): \(error)"
                continue
            }
            guard let picture else { bad += 1; lastError = "\(file): no picture"; continue }
            if let firstSize, picture.size != firstSize {
                throw MediaError.mixedFrameSizes(path: path, frame: (file as NSString).lastPathComponent,
                                                 expected: firstSize, found: picture.size)
            }
            firstSize = firstSize ?? picture.size
            frames.append(try preparer.prepare(picture))
            taken.append(index)
        }
        if frames.isEmpty && bad > 0 {
            throw MediaError.noFrames(path: path, reason: lastError ?? "no frame decoded")
        }
        let info = VideoInfo(path: path, container: "frames", codec: "image", size: firstSize ?? Size(width: 0, height: 0),
                             frameRate: frameRate, frameRateKnown: false, duration: Double(files.count) / frameRate,
                             frameCount: files.count, rotation: 0)
        return try VideoReader.finish(path: path, info: info, frames: frames, indices: taken, decoded: files.count - bad,
                                      bad: bad, lastError: lastError, selection: selection, fps: frameRate)
    }
}

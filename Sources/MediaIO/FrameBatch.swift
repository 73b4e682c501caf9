/// Frames as the models want them: RGB planes of Float in [-1, 1].
///
/// `values`: [F, 3, H, W], outermost first (frame, channel R/G/B, row, column).
/// A pixel byte `b` maps to `b / 127.5 − 1` (diffusers' `VaeImageProcessor.normalize` of `b / 255`);
/// back, values are clamped to [-1, 1] and rounded: `round((v + 1) · 127.5)`.
public struct FrameBatch: Equatable, Sendable {
    public let frameCount: Int
    public let width: Int
    public let height: Int
    /// Frames per second of these frames as a clip (after stride), used when they are written back.
    public var frameRate: Double
    public var values: [Float]

    public init(frameCount: Int, width: Int, height: Int, frameRate: Double, values: [Float]) {
        precondition(values.count == frameCount * 3 * width * height, "FrameBatch: value count mismatch")
        self.frameCount = frameCount
        self.width = width
        self.height = height
        self.frameRate = frameRate
        self.values = values
    }

    /// Converts same-sized pictures to planes in [-1, 1].
    public init(images: [RGBImage], frameRate: Double) {
        precondition(!images.isEmpty, "FrameBatch needs at least one frame")
        let w = images[0].width, h = images[0].height, plane = w * h
        var values = [Float](repeating: 0, count: images.count * 3 * plane)
        for (f, image) in images.enumerated() {
            precondition(image.width == w && image.height == h, "FrameBatch: frames differ in size")
            let base = f * 3 * plane
            image.pixels.withUnsafeBufferPointer { px in
                for i in 0..<plane {
                    values[base + i] = Float(px[i * 3]) / 127.5 - 1
                    values[base + plane + i] = Float(px[i * 3 + 1]) / 127.5 - 1
                    values[base + 2 * plane + i] = Float(px[i * 3 + 2]) / 127.5 - 1
                }
            }
        }
        self.init(frameCount: images.count, width: w, height: h, frameRate: frameRate, values: values)
    }

    /// Frame `f` back as 8-bit RGB.
    public func image(_ f: Int) -> RGBImage {
        let plane = width * height, base = f * 3 * plane
        var px = [UInt8](repeating: 0, count: plane * 3)
        @inline(__always) func byte(_ v: Float) -> UInt8 {
            UInt8(((min(max(v, -1), 1) + 1) * 127.5).rounded())
        }
        for i in 0..<plane {
            px[i * 3] = byte(values[base + i])
            px[i * 3 + 1] = byte(values[base + plane + i])
            px[i * 3 + 2] = byte(values[base + 2 * plane + i])
        }
        return RGBImage(width: width, height: height, pixels: px)
    }

    /// All frames back as 8-bit RGB.
    public var images: [RGBImage] { (0..<frameCount).map(image) }
}

/// An 8-bit RGB picture, rows top to bottom, pixels interleaved.
///
/// `pixels`: [H, W, 3], row-major, no padding between rows.
public struct RGBImage: Equatable, Sendable {
    public let width: Int
    public let height: Int
    public var pixels: [UInt8]

    public init(width: Int, height: Int, pixels: [UInt8]) {
        precondition(width > 0 && height > 0 && pixels.count == width * height * 3, "RGBImage: pixel count mismatch")
        self.width = width
        self.height = height
        self.pixels = pixels
    }

    /// A picture filled with one colour.
    public init(width: Int, height: Int, fill: (UInt8, UInt8, UInt8) = (0, 0, 0)) {
        precondition(width > 0 && height > 0, "RGBImage: size must be positive")
        var p = [UInt8](repeating: 0, count: width * height * 3)
        for i in stride(from: 0, to: p.count, by: 3) {
            p[i] = fill.0; p[i + 1] = fill.1; p[i + 2] = fill.2
        }
        self.init(width: width, height: height, pixels: p)
    }

    public var size: Size { Size(width: width, height: height) }

    public subscript(x: Int, y: Int) -> (UInt8, UInt8, UInt8) {
        get {
            let i = (y * width + x) * 3
            return (pixels[i], pixels[i + 1], pixels[i + 2])
        }
        set {
            let i = (y * width + x) * 3
            pixels[i] = newValue.0; pixels[i + 1] = newValue.1; pixels[i + 2] = newValue.2
        }
    }

    /// The rectangle `x..<x+width`, `y..<y+height`, which must lie inside the picture.
    public func cropped(x: Int, y: Int, width w: Int, height h: Int) -> RGBImage {
        precondition(x >= 0 && y >= 0 && w > 0 && h > 0 && x + w <= width && y + h <= height, "crop outside the picture")
        if x == 0 && y == 0 && w == width && h == height { return self }
        var out = [UInt8](repeating: 0, count: w * h * 3)
        pixels.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for row in 0..<h {
                    let s = ((y + row) * width + x) * 3
                    let d = row * w * 3
                    for i in 0..<(w * 3) { dst[d + i] = src[s + i] }
                }
            }
        }
        return RGBImage(width: w, height: h, pixels: out)
    }

    /// Turned clockwise by a multiple of 90 degrees (any integer; taken modulo 360).
    public func rotatedClockwise(quarterTurns: Int) -> RGBImage {
        let q = ((quarterTurns % 4) + 4) % 4
        if q == 0 { return self }
        let (ow, oh) = q == 2 ? (width, height) : (height, width)
        var out = [UInt8](repeating: 0, count: ow * oh * 3)
        for y in 0..<height {
            for x in 0..<width {
                let (nx, ny): (Int, Int)
                switch q {
                case 1: (nx, ny) = (height - 1 - y, x)
                case 2: (nx, ny) = (width - 1 - x, height - 1 - y)
                default: (nx, ny) = (y, width - 1 - x)
                }
                let s = (y * width + x) * 3, d = (ny * ow + nx) * 3
                out[d] = pixels[s]; out[d + 1] = pixels[s + 1]; out[d + 2] = pixels[s + 2]
            }
        }
        return RGBImage(width: ow, height: oh, pixels: out)
    }

    /// Copies `image` into this picture with its top-left corner at (x, y); parts outside are clipped.
    public mutating func paste(_ image: RGBImage, x: Int, y: Int) {
        for row in 0..<image.height {
            let ty = y + row
            guard ty >= 0 && ty < height else { continue }
            for col in 0..<image.width {
                let tx = x + col
                guard tx >= 0 && tx < width else { continue }
                self[tx, ty] = image[col, row]
            }
        }
    }
}

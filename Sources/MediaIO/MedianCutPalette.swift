/// A colour palette for a set of pictures by median cut (Heckbert 1982): split the colour box with the
/// widest channel range at its median until there are `maxColors` boxes; each box's mean is a palette colour.
/// Pixels map to the nearest palette colour (squared RGB distance) through a 32×32×32 lookup.
struct MedianCutPalette {
    private(set) var colors: [(UInt8, UInt8, UInt8)] = []
    /// Nearest palette index for each 5-bit-per-channel colour cell, filled on demand.
    private var lookup = [Int16](repeating: -1, count: 32 * 32 * 32)
    /// Exact colours when the pictures have at most `maxColors` distinct ones (palette error then zero).
    private var exact: [UInt32: UInt8] = [:]

    init(images: [RGBImage], maxColors: Int) {
        // Histogram of exact colours (capped): small palettes are kept exactly.
        var histogram: [UInt32: Int] = [:]
        var tooMany = false
        for image in images where !tooMany {
            for i in stride(from: 0, to: image.pixels.count, by: 3) {
                let key = UInt32(image.pixels[i]) << 16 | UInt32(image.pixels[i + 1]) << 8 | UInt32(image.pixels[i + 2])
                histogram[key, default: 0] += 1
                if histogram.count > maxColors { tooMany = true; break }
            }
        }
        if !tooMany {
            for (n, key) in histogram.keys.sorted().enumerated() {
                colors.append((UInt8(key >> 16), UInt8(key >> 8 & 0xFF), UInt8(key & 0xFF)))
                exact[key] = UInt8(n)
            }
            return
        }
        // Sample at most ~256K pixels evenly across all frames.
        let total = images.reduce(0) { $0 + $1.width * $1.height }
        let step = max(1, total / 262_144)
        var samples: [(UInt8, UInt8, UInt8)] = []
        samples.reserveCapacity(total / step + 1)
        var k = 0
        for image in images {
            for p in 0..<(image.width * image.height) {
                if k % step == 0 { samples.append((image.pixels[p * 3], image.pixels[p * 3 + 1], image.pixels[p * 3 + 2])) }
                k += 1
            }
        }
        var boxes = [Box(samples[...])]
        while boxes.count < maxColors {
            // Split the box with the widest single-channel range at its median.
            guard let best = boxes.indices.max(by: { boxes[$0].range < boxes[$1].range }), boxes[best].range > 0 else { break }
            let c = boxes[best].channel
            let sorted = boxes[best].samples.sorted { Self.channel($0, c) < Self.channel($1, c) }
            let mid = sorted.count / 2
            boxes[best] = Box(sorted[..<mid])
            boxes.append(Box(sorted[mid...]))
        }
        colors = boxes.map { box in
            var r = 0, g = 0, b = 0
            for s in box.samples { r += Int(s.0); g += Int(s.1); b += Int(s.2) }
            let n = max(1, box.samples.count)
            return (UInt8((r + n / 2) / n), UInt8((g + n / 2) / n), UInt8((b + n / 2) / n))
        }
    }

    /// A set of sample colours with its widest channel and that channel's range.
    private struct Box {
        var samples: ArraySlice<(UInt8, UInt8, UInt8)>
        var channel = 0
        var range = 0
        init(_ samples: ArraySlice<(UInt8, UInt8, UInt8)>) {
            self.samples = samples
            guard samples.count > 1 else { return }
            var lo = [255, 255, 255], hi = [0, 0, 0]
            for s in samples {
                lo[0] = min(lo[0], Int(s.0)); hi[0] = max(hi[0], Int(s.0))
                lo[1] = min(lo[1], Int(s.1)); hi[1] = max(hi[1], Int(s.1))
                lo[2] = min(lo[2], Int(s.2)); hi[2] = max(hi[2], Int(s.2))
            }
            for c in 0..<3 where hi[c] - lo[c] > range { range = hi[c] - lo[c]; channel = c }
        }
    }

    private static func channel(_ c: (UInt8, UInt8, UInt8), _ i: Int) -> UInt8 { i == 0 ? c.0 : i == 1 ? c.1 : c.2 }

    /// Palette index of every pixel: [H, W].
    mutating func indices(of image: RGBImage) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: image.width * image.height)
        for p in 0..<out.count {
            let r = image.pixels[p * 3], g = image.pixels[p * 3 + 1], b = image.pixels[p * 3 + 2]
            if !exact.isEmpty {
                out[p] = exact[UInt32(r) << 16 | UInt32(g) << 8 | UInt32(b)] ?? 0
                continue
            }
            let cell = Int(r >> 3) << 10 | Int(g >> 3) << 5 | Int(b >> 3)
            if lookup[cell] < 0 { lookup[cell] = Int16(nearest((r | 4, g | 4, b | 4))) }
            out[p] = UInt8(lookup[cell])
        }
        return out
    }

    private func nearest(_ c: (UInt8, UInt8, UInt8)) -> Int {
        var best = 0, bestD = Int.max
        for (i, p) in colors.enumerated() {
            let dr = Int(p.0) - Int(c.0), dg = Int(p.1) - Int(c.1), db = Int(p.2) - Int(c.2)
            let d = dr * dr + dg * dg + db * db
            if d < bestD { bestD = d; best = i }
        }
        return best
    }
}

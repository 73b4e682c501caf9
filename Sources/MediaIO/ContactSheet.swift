import Foundation

/// A frame strip for inspection: one picture, one row per clip (source, then each edit), one column per
/// selected frame, with small gaps between cells.
public enum ContactSheet {
    /// Lays out `rows` (row r, column c → `rows[r][c]`). Cells are scaled to `cellHeight` keeping their aspect
    /// (`nil`: the tallest frame's height, capped at 256). Rows may differ in length and frame size.
    public static func compose(rows: [[RGBImage]], cellHeight: Int? = nil, gap: Int = 4,
                               background: (UInt8, UInt8, UInt8) = (24, 24, 24)) -> RGBImage {
        let all = rows.flatMap { $0 }
        guard !all.isEmpty else { return RGBImage(width: 1, height: 1, fill: background) }
        let h = max(8, cellHeight ?? min(256, all.map(\.height).max() ?? 64))
        let resampler = PixelConverter()
        let scaledRows: [[RGBImage]] = rows.map { row in
            row.map { image in
                let w = max(1, Int((Double(image.width) * Double(h) / Double(image.height)).rounded()))
                return resampler.resize(image, to: Size(width: w, height: h)) ?? image
            }
        }
        let rowWidths = scaledRows.map { row in row.reduce(0) { $0 + $1.width } + max(0, row.count - 1) * gap }
        let width = (rowWidths.max() ?? 1) + 2 * gap
        let height = rows.count * h + (rows.count + 1) * gap
        var sheet = RGBImage(width: max(1, width), height: max(1, height), fill: background)
        for (r, row) in scaledRows.enumerated() {
            var x = gap
            let y = gap + r * (h + gap)
            for cell in row {
                sheet.paste(cell, x: x, y: y)
                x += cell.width + gap
            }
        }
        return sheet
    }

    /// Reads `count` frames spread evenly over each clip and writes the strip as a PNG (atomically; never over an input).
    /// - Returns: the strip and any reader warnings.
    @discardableResult
    public static func write(clips: [String], to output: String, count: Int = 8, cellHeight: Int? = nil,
                             gap: Int = 4) throws -> (sheet: RGBImage, warnings: [String]) {
        try AtomicOutput.checkNotInput(output, inputs: clips)
        var rows: [[RGBImage]] = []
        var warnings: [String] = []
        for clip in clips {
            let read = try VideoReader.read(clip, selection: try evenlySpaced(count: count, in: clip))
            rows.append(read.frames)
            warnings += read.warnings
        }
        let sheet = compose(rows: rows, cellHeight: cellHeight, gap: gap)
        try ImageWriter.writePNG(sheet, to: output, inputs: clips)
        return (sheet, warnings)
    }

    /// A selection of `count` frames spread evenly over the whole clip at `path`.
    public static func evenlySpaced(count: Int, in path: String) throws -> FrameSelection {
        guard count > 0 else {
            throw MediaError.invalidSelection(path: path, reason: "frame count \(count) is not positive; ask for at least 1 frame.")
        }
        let total = try VideoReader.info(path).frameCount
        return FrameSelection(count: count, stride: max(1, total / count))
    }
}

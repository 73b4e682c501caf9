import Foundation

/// The benchmark's summary: mean scores per variant and edit kind (and over all kinds), as rows for the
/// printed table, the JSON file and the Markdown file.
public struct BenchmarkTable: Codable, Sendable {
    public struct Row: Codable, Sendable {
        public var variant: String
        public var edit: String
        public var count: Int
        public var aligned, color, shape, background, psnr, mae, maeUnchanged, flicker: Double
    }

    public var rows: [Row]
    public var settings: [String: String]

    public init(results: [EditBenchmark.Result], settings: [String: String]) {
        self.settings = settings
        var rows: [Row] = []
        var variants: [String] = []
        for r in results where !variants.contains(r.variant) { variants.append(r.variant) }
        for variant in variants {
            let mine = results.filter { $0.variant == variant }
            for kind in EditBenchmark.EditKind.allCases {
                let part = mine.filter { $0.kind == kind }
                if !part.isEmpty { rows.append(Self.row(variant, kind.rawValue, part)) }
            }
            rows.append(Self.row(variant, "all", mine))
        }
        self.rows = rows
    }

    static func row(_ variant: String, _ edit: String, _ part: [EditBenchmark.Result]) -> Row {
        func mean(_ f: (EditBenchmark.Result) -> Double) -> Double { part.map(f).reduce(0, +) / Double(max(part.count, 1)) }
        return Row(variant: variant, edit: edit, count: part.count, aligned: mean(\.aligned), color: mean(\.score.colorAccuracy),
                   shape: mean(\.score.shapeAccuracy), background: mean(\.score.backgroundAccuracy),
                   psnr: mean(\.score.psnrTarget), mae: mean(\.score.maeTarget), maeUnchanged: mean(\.score.maeUnchanged),
                   flicker: mean(\.score.flickerRatio))
    }

    /// A GitHub Markdown table.
    public var markdown: String {
        var lines = ["| variant | edit | n | aligned | colour acc | shape acc | background acc | PSNR vs truth (dB) | MAE vs truth | unchanged-region MAE | flicker ratio |",
                     "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
        for r in rows {
            lines.append("| \(r.variant) | \(r.edit) | \(r.count) | " + String(format: "%.2f | %.2f | %.2f | %.2f | %.1f | %.1f | %.1f | %.2f |",
                                r.aligned, r.color, r.shape, r.background, r.psnr, r.mae, r.maeUnchanged, r.flicker))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Fixed-width text for the terminal.
    public var text: String {
        func pad(_ s: String, _ n: Int) -> String { s.count >= n ? s : s + String(repeating: " ", count: n - s.count) }
        var lines = [pad("variant", 41) + pad("edit", 13) + "  n aligned colour  shape     bg   PSNR    MAE unchanged flicker"]
        for r in rows {
            lines.append(pad(r.variant, 41) + pad(r.edit, 13) + String(format: "%3d %7.2f %6.2f %6.2f %6.2f %6.1f %6.1f %9.1f %7.2f", r.count,
                                r.aligned, r.color, r.shape, r.background, r.psnr, r.mae, r.maeUnchanged, r.flicker))
        }
        return lines.joined(separator: "\n") + "\n"
    }
}

import Foundation
import MediaIO

/// Strips of a pipeline's output folder: per clip, the source row, then one row per finished edit in the
/// pipeline's order (read back from the written clips, so `ctxedit strip OUT` rebuilds them at any time).
public enum PipelineStrip {
    /// Writes one clip folder's strip to `output` (default `CLIP/strip.png`). Returns the path and the row count.
    @discardableResult
    public static func write(clipFolder: String, to output: String? = nil, frames: Int = 8, cellHeight: Int? = nil,
                             gap: Int = 4) throws -> (path: String, rows: Int) {
        let rows = rowClips(clipFolder)
        guard !rows.isEmpty else {
            throw MediaError.invalidSelection(path: clipFolder, reason: "holds no source or edited clip to put in a strip")
        }
        let path = output ?? (clipFolder as NSString).appendingPathComponent("strip.png")
        try ContactSheet.write(clips: rows, to: path, count: frames, cellHeight: cellHeight, gap: gap)
        return (path, rows.count)
    }

    /// The clip folders of a pipeline output folder, sorted.
    public static func clipFolders(in outputFolder: String) -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: outputFolder)) ?? []
        return names.sorted().filter { !$0.hasPrefix(".") }.map { (outputFolder as NSString).appendingPathComponent($0) }
            .filter { !rowClips($0).isEmpty }
    }

    /// `source.mp4` (or `.gif`), then each manifest's first output, by edit index.
    static func rowClips(_ clipFolder: String) -> [String] {
        let fm = FileManager.default
        let names = (try? fm.contentsOfDirectory(atPath: clipFolder)) ?? []
        func inFolder(_ name: String) -> String { (clipFolder as NSString).appendingPathComponent(name) }
        let source = ["source.mp4", "source.gif"].map(inFolder).first { fm.fileExists(atPath: $0) }
        let edits = names.filter { $0.hasSuffix(OutputLayout.manifestSuffix) }
            .compactMap { Manifest.read(inFolder($0)) }
            .sorted { ($0.edit.index, $0.edit.name) < ($1.edit.index, $1.edit.name) }
            .compactMap { manifest in manifest.outputs.map(inFolder).first { fm.fileExists(atPath: $0) } }
        return (source.map { [$0] } ?? []) + edits
    }
}

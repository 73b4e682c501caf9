import Diffusion
import Foundation
import MediaIO

extension Job {
    /// 64-bit FNV-1a over every input that determines the job's result, as hex. The clip enters by its id and
    /// size, the model by its absolute path (and a tuned delta by its path and contents).
    public func fingerprint(pipeline: Pipeline, model: String) -> String {
        let settings = pipeline.editSettings(for: edit, cacheFolder: nil)
        let tuned = pipeline.tuned.map { folder in
            ["tuned=\(URL(fileURLWithPath: folder).standardizedFileURL.path) \((try? TunedDelta(folder: folder).fingerprint()) ?? "unreadable")"]
        } ?? []
        let parts = tuned + [
            "model=\(URL(fileURLWithPath: model).standardizedFileURL.path)",
            "clip=\(clip.id) \(Self.size(of: clip.path))", "caption=\(clip.caption)",
            "selection=\(Self.describe(pipeline.selection))",
            "steps=\(settings.steps)", "guidance=\(settings.guidance)", "negative=\(settings.negativePrompt)",
            "adapter=\(settings.useAdapter)", "frames=\(SamplerSpec.name(settings.frameSources))",
            "region=\(settings.region.name)",
        ] + (settings.strength == 1 ? [] : ["strength=\(settings.strength)"])
          + (settings.regionNoise == 0 ? [] : ["region-noise=\(settings.regionNoise)"]) + [
            "prompt=\(edit.prompt)", "seed=\(edit.seed)",
            "formats=\(pipeline.output.formats.map(\.rawValue).joined(separator: ","))",
        ]
        var h: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in parts.joined(separator: "\n").utf8 { h = (h ^ UInt64(byte)) &* 0x100_0000_01B3 }
        return String(format: "%016llx", h)
    }

    /// A clip's size in bytes (a frame folder: its file count), so a replaced clip is edited again while the same
    /// clip seen through another path (another working directory, another mount) is not.
    static func size(of path: String) -> String {
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: path) else { return "missing" }
        if attributes[.type] as? FileAttributeType == .typeDirectory {
            return "\((try? FileManager.default.contentsOfDirectory(atPath: path).count) ?? 0) files"
        }
        return "\((attributes[.size] as? NSNumber)?.int64Value ?? -1) bytes"
    }

    /// `count 8, stride 1, start 0, crop -, size 512`.
    static func describe(_ s: FrameSelection) -> String {
        let start: String
        switch s.start {
        case .frame(let f): start = "\(f)"
        case .seconds(let t): start = "\(t)s"
        }
        let crop: String
        switch s.crop {
        case .none: crop = "-"
        case .rect(let x, let y, let w, let h)?: crop = "\(w)x\(h)+\(x)+\(y)"
        case .margins(let l, let t, let r, let b)?: crop = "\(l),\(t),\(r),\(b)"
        }
        return "count \(s.count.map(String.init) ?? "all"), stride \(s.stride), start \(start), crop \(crop), size \(s.size)"
    }
}

import Foundation
import SafeTensors
import Tensors

/// DDIM inversions on disk, keyed by everything they depend on (source latents, source caption, model, steps,
/// frame attention, adapter use), so several edits of one clip pay for one inversion.
public struct InversionCache: Sendable {
    public let folder: String

    public init(folder: String) {
        self.folder = folder
    }

    /// `~/.cache/ctxedit/inversions` (or `$XDG_CACHE_HOME/ctxedit/inversions`).
    public static var defaultFolder: String {
        let env = ProcessInfo.processInfo.environment
        let base = env["XDG_CACHE_HOME"] ?? (NSHomeDirectory() as NSString).appendingPathComponent(".cache")
        return (base as NSString).appendingPathComponent("ctxedit/inversions")
    }

    /// 64-bit FNV-1a over the latents' bytes and the settings' text: the cache key.
    public static func key(latents: Tensor, settings: String) -> String {
        var h: UInt64 = 0xCBF2_9CE4_8422_2325
        func mix(_ byte: UInt8) { h = (h ^ UInt64(byte)) &* 0x100_0000_01B3 }
        for v in latents.shape { withUnsafeBytes(of: Int64(v).littleEndian) { $0.forEach(mix) } }
        latents.scalars.withUnsafeBytes { $0.forEach(mix) }
        settings.utf8.forEach(mix)
        return String(format: "%016llx", h)
    }

    func path(_ key: String) -> String { (folder as NSString).appendingPathComponent("\(key).safetensors") }

    /// Every intermediate latent of a cached inversion (first = source, last = noise), or nil.
    public func load(_ key: String) -> [Tensor]? {
        guard let file = try? SafeTensorsFile(path: path(key)),
              let count = file.metadata["steps"].flatMap(Int.init) else { return nil }
        var out: [Tensor] = []
        for i in 0...count {
            guard let entry = try? file.entry("latents.\(i)"), let values = try? file.floats("latents.\(i)") else { return nil }
            out.append(Tensor(shape: entry.shape, scalars: values))
        }
        return out
    }

    /// Stores an inversion atomically; failures only cost a recomputation later, so they are reported, not fatal.
    public func store(_ key: String, latents: [Tensor]) -> String? {
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            var writer = SafeTensorsWriter(path: path(key), metadata: ["steps": "\(latents.count - 1)"])
            for (i, t) in latents.enumerated() { try writer.add("latents.\(i)", shape: t.shape, values: t.scalars) }
            try writer.write()
            return nil
        } catch {
            return "could not cache the inversion in \(folder): \(error)"
        }
    }
}

import Foundation
import Models

/// An up-front estimate of the memory an edit needs, so a selection that cannot fit (120 frames at 4K) is refused
/// with the numbers and a suggestion instead of being killed by the OOM killer half-way.
///
/// Counted: the model's fp32 weights; decoded frames (bytes + float planes, source and every result); the UNet's
/// largest live activations at the first resolution (≈ 24 tensors of [N, C0, h, w]: skips, norms, attention I/O,
/// N = frames × 2 with guidance) plus cross-frame keys/values and the attention score budget; one VAE decode chunk at
/// full resolution (≈ 8 tensors of [chunk, C_last, H, W]) plus its im2col band. It errs on the high side.
public struct MemoryEstimate: Sendable, CustomStringConvertible {
    public var parts: [(String, Int)]

    public var bytes: Int { parts.reduce(0) { $0 + $1.1 } }

    public var description: String {
        parts.map { "\($0.0) \(Self.format($0.1))" }.joined(separator: ", ") + " = \(Self.format(bytes))"
    }

    public static func format(_ bytes: Int) -> String { String(format: "%.1f GB", Double(bytes) / 1e9) }

    /// - frames, width, height: the selection after resizing; prompts: edits in the run.
    public static func edit(frames: Int, width: Int, height: Int, prompts: Int, guided: Bool, weightCount: Int,
                            unet: UNetConfig, vae: AutoencoderConfig, vaeChunk: Int) -> MemoryEstimate {
        let scale = 1 << (vae.blockOutChannels.count - 1)
        let h = height / scale, w = width / scale
        let n = frames * (guided ? 2 : 1)
        let c0 = unet.blockOutChannels[0]
        let pixels = frames * width * height
        let unetActivations = 24 * n * c0 * h * w * 4 + 2 * n * c0 * h * w * 4 * 2
        let vaeDecode = 8 * min(vaeChunk, frames) * (vae.blockOutChannels.first ?? 128) * width * height * 4
        return MemoryEstimate(parts: [
            ("weights", weightCount * 4),
            ("frames", pixels * (3 + 12) * (1 + prompts)),
            ("UNet activations", unetActivations + (16 << 20) * 4),
            ("VAE decode", vaeDecode + (64 << 20)),
        ])
    }

    /// Memory the system can give now (`MemAvailable`), or nil where /proc/meminfo is unreadable.
    public static func available() -> Int? {
        guard let text = try? String(contentsOfFile: "/proc/meminfo", encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix("MemAvailable:") {
            return line.split(separator: " ").compactMap { Int($0) }.first.map { $0 * 1024 }
        }
        return nil
    }

    /// Throws when the estimate exceeds `limit` (default: available memory), suggesting a frame count and size
    /// that would fit.
    public func check(limit: Int? = MemoryEstimate.available(), frames: Int, width: Int, height: Int) throws {
        guard let limit, bytes > limit else { return }
        let perFrame = max(1, (bytes - (parts.first?.1 ?? 0)) / max(frames, 1))
        let fittingFrames = max(0, (limit - (parts.first?.1 ?? 0)) / perFrame)
        let suggestion = fittingFrames >= 1
            ? "use at most \(fittingFrames) frame(s) at \(width)x\(height), or a smaller --size"
            : "use a smaller --size (the model's weights alone take \(Self.format(parts.first?.1 ?? 0)))"
        throw EditError.invalidRequest("this edit needs about \(Self.format(bytes)) (\(description)) but only \(Self.format(limit)) is available; \(suggestion).")
    }
}

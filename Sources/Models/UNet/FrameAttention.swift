import Tensors

/// Which frames each frame's self-attention reads, when F frames of a clip are folded into the batch
/// (`[B·F, T, D]`, frame index fastest within each of the B groups).
///
/// `perFrame` is the image model unchanged. `.frames(F, .sparseCausal)` is Tune-A-Video / FateZero's
/// spatio-temporal attention: frame f attends to frame 0 and frame f−1 (frame 0 to itself).
public enum FrameAttention: Sendable, Equatable {
    case perFrame
    case frames(count: Int, sources: Sources)

    public enum Sources: Sendable, Equatable {
        /// First and previous frame (the default).
        case sparseCausal
        /// Every frame of the clip.
        case all
        /// Frames within `radius` of the query frame.
        case window(radius: Int)
    }

    /// Frame indices that frame `f` of `count` attends to, in order, without repeats.
    public static func sourceFrames(_ f: Int, count: Int, sources: Sources) -> [Int] {
        switch sources {
        case .sparseCausal: return f == 0 ? [0] : (f - 1 == 0 ? [0] : [0, f - 1])
        case .all: return Array(0..<count)
        case .window(let radius):
            let r = min(max(radius, 0), count)  // any radius ≥ count reads every frame; f ± r cannot overflow
            return Array(max(0, f - r)...min(count - 1, f + r))
        }
    }

    /// q, k, v: [B·F, T, D] → [B·F, T, D]; frame f's queries see the keys/values of `sourceFrames(f)` concatenated.
    static func attend(q: Tensor, k: Tensor, v: Tensor, heads: Int, frameCount: Int, sources: Sources) -> Tensor {
        let n = q.shape[0], t = q.shape[1], d = q.shape[2]
        precondition(n % frameCount == 0, "frame attention: batch \(n) is not a multiple of \(frameCount) frames")
        var out = Tensor(shape: q.shape)
        for item in 0..<n {
            let group = item / frameCount, f = item % frameCount
            let src = sourceFrames(f, count: frameCount, sources: sources).map { group * frameCount + $0 }
            let keys = Tensor.concat(src.map { k.slice(axis: 0, $0..<($0 + 1)) }, axis: 1)
            let values = Tensor.concat(src.map { v.slice(axis: 0, $0..<($0 + 1)) }, axis: 1)
            let o = Attention.scaledDotProduct(q: q.slice(axis: 0, item..<(item + 1)), k: keys, v: values, heads: heads)
            out.scalars.replaceSubrange((item * t * d)..<((item + 1) * t * d), with: o.scalars)
        }
        return out
    }
}

import Models
import SafeTensors

/// Settings of one-shot tuning on a clip (`ctxedit tune`). Defaults follow Tune-A-Video's recipe where ContextDiff's
/// video recipe follows it: AdamW (weight decay 1e-2), constant learning rate, gradient norm clipped at 1, every
/// frame of the clip in each step's batch with sparse-causal cross-frame attention, gradient checkpointing on.
public struct TuningSettings: Sendable, Equatable {
    public var learningRate = 1e-4
    public var weightDecay = 1e-2
    public var maxGradNorm: Double? = 1.0
    /// Seeds the fresh layers (temporal attention, a fresh adapter) and each step's timestep and noise.
    public var seed: UInt64 = 0
    /// Which frames each frame's self-attention reads while training (and should read when editing).
    public var frameSources = FrameAttention.Sources.sparseCausal
    /// Add temporal attention (`norm_temp`, `attn_temp`, zero output projection) to every transformer block that
    /// has none. Blocks that already have it are trained either way.
    public var addTemporalAttention = true
    /// Recompute the UNet's blocks during backward instead of keeping their activations (less memory, about one
    /// more forward pass per step).
    public var gradientCheckpointing = true
    /// How the delta's tensors are stored: F32 (exactly what was trained) or F16 (half the size).
    public var deltaDType = DType.f32
    /// Timesteps (and the seed of their noise) of the fixed denoising loss reported before and after tuning.
    public var evaluationTimesteps = [100, 300, 500, 700, 900]
    public var evaluationSeed: UInt64 = 1234

    public init() {}

    /// `sparse-causal`, `all`, `window:N` (the `--frame-attention` spelling).
    public static func name(_ sources: FrameAttention.Sources) -> String {
        switch sources {
        case .sparseCausal: return "sparse-causal"
        case .all: return "all"
        case .window(let r): return "window:\(r)"
        }
    }
}

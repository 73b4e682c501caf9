import Tensors

extension TrajectoryAdapter {
    /// Fresh weights for training: linear weights uniform in ±1/√fan_in (PyTorch's default), biases zero, norms
    /// identity, frame-offset embedding N(0, 0.02)-like, and `proj_out` all zero so the untrained adapter gives r = 0.
    /// Keys are the checkpoint keys the adapter loads.
    public static func initialWeights(config c: AdapterConfig, seed: UInt64) -> [String: Tensor] {
        var state = seed ^ 0x5DEE_CE66_D1CE_4E5B
        func uniform(_ shape: [Int], bound: Float) -> Tensor {
            Tensor(shape: shape) { out in
                for i in 0..<out.count {
                    state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                    out[i] = (Float(state >> 40) / Float(1 << 24) * 2 - 1) * bound
                }
            }
        }
        var w: [String: Tensor] = [:]
        func linear(_ key: String, _ inF: Int, _ outF: Int, zero: Bool = false) {
            w[key + ".weight"] = zero ? Tensor(shape: [outF, inF]) : uniform([outF, inF], bound: 1 / Float(inF).squareRoot())
            w[key + ".bias"] = Tensor(shape: [outF])
        }
        func norm(_ key: String, _ d: Int) {
            w[key + ".weight"] = Tensor(shape: [d], repeating: 1)
            w[key + ".bias"] = Tensor(shape: [d])
        }
        let patch = c.latentChannels * c.patchSize * c.patchSize, d = c.dim
        linear("patch_embed", patch, d)
        linear("time_embed.linear_1", d, d)
        linear("time_embed.linear_2", d, d)
        linear("context_proj", c.contextDim, d)
        w["frame_offset_embedding.weight"] = uniform([2, d], bound: 0.035)
        for l in 0..<c.layers {
            let p = "layers.\(l)"
            norm(p + ".norm1", d)
            norm(p + ".norm_context", d)
            norm(p + ".norm2", d)
            for proj in ["to_q", "to_k", "to_v", "to_out.0"] { linear("\(p).attn.\(proj)", d, d) }
            linear(p + ".mlp.fc1", d, 4 * d)
            linear(p + ".mlp.fc2", 4 * d, d)
        }
        norm("norm_out", d)
        linear("proj_out", d, patch, zero: true)
        return w
    }
}

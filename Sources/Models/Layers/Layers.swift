import Tensors

/// The parameterised building blocks, each loaded from its checkpoint scope with the shape the config implies.

/// `nn.Linear`: weight [out, in], bias [out].
public struct Linear {
    public var weight: Tensor
    public var bias: Tensor?

    public init(_ w: WeightScope, in inFeatures: Int, out outFeatures: Int, bias hasBias: Bool = true) throws {
        weight = try w.tensor("weight", [outFeatures, inFeatures])
        bias = hasBias ? try w.tensor("bias", [outFeatures]) : nil
    }

    /// x: [..., in] → [..., out]
    public func callAsFunction(_ x: Tensor) -> Tensor { x.linear(weight: weight, bias: bias) }
}

/// `nn.Conv2d`: weight [out, in, k, k], bias [out].
public struct Conv2d {
    public var weight: Tensor
    public var bias: Tensor?
    public let stride: Int
    public let padding: Int

    public init(_ w: WeightScope, in inChannels: Int, out outChannels: Int, kernel: Int, stride: Int = 1,
                padding: Int = 0, bias hasBias: Bool = true) throws {
        weight = try w.tensor("weight", [outChannels, inChannels, kernel, kernel])
        bias = hasBias ? try w.tensor("bias", [outChannels]) : nil
        self.stride = stride
        self.padding = padding
    }

    /// x: [N, in, H, W] → [N, out, H', W']
    public func callAsFunction(_ x: Tensor) -> Tensor {
        x.conv2d(weight: weight, bias: bias, stride: stride, padding: padding)
    }
}

/// `nn.GroupNorm` with affine parameters weight, bias [C].
public struct GroupNorm {
    public var weight: Tensor
    public var bias: Tensor
    public let groups: Int
    public let eps: Float

    public init(_ w: WeightScope, groups: Int, channels: Int, eps: Float) throws {
        weight = try w.tensor("weight", [channels])
        bias = try w.tensor("bias", [channels])
        self.groups = groups
        self.eps = eps
    }

    /// x: [N, C, ...] → same shape; `silu` fuses the SiLU that usually follows.
    public func callAsFunction(_ x: Tensor, silu: Bool = false) -> Tensor {
        x.groupNorm(groups: groups, gamma: weight, beta: bias, eps: eps, thenSiLU: silu)
    }
}

/// `nn.LayerNorm` over the last axis: weight, bias [D].
public struct LayerNorm {
    public var weight: Tensor
    public var bias: Tensor
    public let eps: Float

    public init(_ w: WeightScope, dim: Int, eps: Float) throws {
        weight = try w.tensor("weight", [dim])
        bias = try w.tensor("bias", [dim])
        self.eps = eps
    }

    /// x: [..., D] → same shape
    public func callAsFunction(_ x: Tensor) -> Tensor { x.layerNorm(gamma: weight, beta: bias, eps: eps) }
}

/// `nn.Embedding`: weight [count, dim].
public struct Embedding {
    public var weight: Tensor

    public init(_ w: WeightScope, count: Int, dim: Int) throws {
        weight = try w.tensor("weight", [count, dim])
    }

    /// ids: B sequences of T ids → [B, T, dim]. Ids must be in range (the tokenizer guarantees it).
    public func callAsFunction(_ ids: [[Int]]) -> Tensor {
        let dim = weight.shape[1], t = ids.first?.count ?? 0
        var out = Tensor(shape: [ids.count, t, dim])
        for (b, row) in ids.enumerated() {
            for (i, id) in row.enumerated() {
                let dst = (b * t + i) * dim
                for d in 0..<dim { out.scalars[dst + d] = weight.scalars[id * dim + d] }
            }
        }
        return out
    }
}

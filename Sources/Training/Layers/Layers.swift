import Tensors

/// Trainable counterparts of `Models`' layers: the same checkpoint keys and forward values, parameters held as
/// `Variable`s. Fresh parameters start as PyTorch initialises them (weights and biases uniform in ±1/√fan_in,
/// norms at scale 1, shift 0).
public enum Trainable {}

extension Trainable {
    /// `nn.Linear`: weight [out, in], bias [out].
    public struct Linear {
        public let weight: Variable
        public let bias: Variable?

        public init(_ p: ParameterScope, in inFeatures: Int, out outFeatures: Int, bias hasBias: Bool = true) throws {
            let bound = 1 / Float(inFeatures).squareRoot()
            weight = try p.parameter("weight", [outFeatures, inFeatures], initial: .uniform(bound: bound))
            bias = hasBias ? try p.parameter("bias", [outFeatures], initial: .uniform(bound: bound)) : nil
        }

        /// x: [..., in] → [..., out]
        public func callAsFunction(_ x: Variable) -> Variable { x.linear(weight: weight, bias: bias) }
    }

    /// `nn.Conv2d`: weight [out, in, k, k], bias [out].
    public struct Conv2d {
        public let weight: Variable
        public let bias: Variable?
        public let stride: Int
        public let padding: Int

        public init(_ p: ParameterScope, in inChannels: Int, out outChannels: Int, kernel: Int, stride: Int = 1,
                    padding: Int = 0, bias hasBias: Bool = true) throws {
            let bound = 1 / Float(inChannels * kernel * kernel).squareRoot()
            weight = try p.parameter("weight", [outChannels, inChannels, kernel, kernel], initial: .uniform(bound: bound))
            bias = hasBias ? try p.parameter("bias", [outChannels], initial: .uniform(bound: bound)) : nil
            self.stride = stride
            self.padding = padding
        }

        /// x: [N, in, H, W] → [N, out, H', W']
        public func callAsFunction(_ x: Variable) -> Variable {
            x.conv2d(weight: weight, bias: bias, stride: stride, padding: padding)
        }
    }

    /// `nn.GroupNorm` with affine weight, bias [C].
    public struct GroupNorm {
        public let weight, bias: Variable
        public let groups: Int
        public let eps: Float

        public init(_ p: ParameterScope, groups: Int, channels: Int, eps: Float) throws {
            weight = try p.parameter("weight", [channels], initial: .ones)
            bias = try p.parameter("bias", [channels], initial: .zeros)
            self.groups = groups
            self.eps = eps
        }

        /// x: [N, C, ...] → same shape; `silu` fuses the SiLU that usually follows.
        public func callAsFunction(_ x: Variable, silu: Bool = false) -> Variable {
            x.groupNorm(groups: groups, gamma: weight, beta: bias, eps: eps, thenSiLU: silu)
        }
    }

    /// `nn.LayerNorm` over the last axis: weight, bias [D].
    public struct LayerNorm {
        public let weight, bias: Variable
        public let eps: Float

        public init(_ p: ParameterScope, dim: Int, eps: Float) throws {
            weight = try p.parameter("weight", [dim], initial: .ones)
            bias = try p.parameter("bias", [dim], initial: .zeros)
            self.eps = eps
        }

        /// x: [..., D] → same shape
        public func callAsFunction(_ x: Variable) -> Variable { x.layerNorm(gamma: weight, beta: bias, eps: eps) }
    }

    /// `nn.Embedding`: weight [count, dim] (fresh: N(0,1) in PyTorch; here uniform ±√3, the same variance).
    public struct Embedding {
        public let weight: Variable

        public init(_ p: ParameterScope, count: Int, dim: Int) throws {
            weight = try p.parameter("weight", [count, dim], initial: .uniform(bound: Float(3).squareRoot()))
        }

        /// ids: B sequences of T ids → [B, T, dim].
        public func callAsFunction(_ ids: [[Int]]) -> Variable { Variable.embedding(ids, weight: weight) }
    }
}

import Models
import Tensors

/// The parameters of a trainable model, one `Variable` per checkpoint key, in the order the model asked for them.
///
/// Trainable ones (chosen by key when the model is built) own gradients; frozen ones are plain values that cost
/// no gradient storage. The optimizer, gradient clipping and training checkpoints work on `trainable`.
public final class Parameters {
    public private(set) var keys: [String] = []
    private var byKey: [String: Variable] = [:]

    public init() {}

    public subscript(key: String) -> Variable? { byKey[key] }

    /// Every parameter, in registration order.
    public var all: [(key: String, variable: Variable)] { keys.map { ($0, byKey[$0]!) } }

    /// The parameters that receive gradients, in registration order.
    public var trainable: [(key: String, variable: Variable)] { all.filter { $0.variable.isTrainableLeaf } }

    /// Clears every gradient.
    public func zeroGrad() { for key in keys { byKey[key]?.zeroGrad() } }

    /// Current values by key (all parameters, or only the trainable ones): the weights to save.
    public func tensors(trainableOnly: Bool = false) -> [String: Tensor] {
        var out: [String: Tensor] = [:]
        for (key, v) in all where !trainableOnly || v.isTrainableLeaf { out[key] = v.value }
        return out
    }

    /// Registers `variable` under `key`; asking for a key twice returns the first variable (shared weights).
    func register(_ key: String, _ make: () throws -> Variable) rethrows -> Variable {
        if let v = byKey[key] { return v }
        let v = try make()
        keys.append(key)
        byKey[key] = v
        return v
    }
}

/// How a fresh parameter starts when it is not loaded from a checkpoint (PyTorch's defaults for each layer).
public enum Initializer: Sendable {
    case zeros
    case ones
    /// Uniform in [−bound, bound): `nn.Linear`/`nn.Conv2d` weights and biases use bound = 1/√fan_in.
    case uniform(bound: Float)
}

/// A key prefix for building trainable layers, like `Models.WeightScope`: `scope["down_blocks"][0]["resnets"]`
/// is `down_blocks.0.resnets`, and `parameter("weight", shape)` is the parameter `down_blocks.0.resnets.weight`.
///
/// Values come from a checkpoint (shape-checked by key, as the inference models load) or are initialised fresh
/// from a seed (each key draws from its own stream, so the values do not depend on build order). `trainable`
/// decides per full key whether the parameter gets a gradient.
public struct ParameterScope {
    public enum Source {
        case checkpoint(CheckpointWeights)
        case initialize(seed: UInt64)
    }

    public let parameters: Parameters
    public let source: Source
    public let prefix: String
    let isTrainable: (String) -> Bool
    /// Keys that start at zero whatever their layer's default (fresh initialisation only): the last layer of each
    /// residual branch, so every block starts as the identity (ADM's `zero_module`, Dhariwal & Nichol 2021).
    let startsAtZero: (String) -> Bool

    public init(_ source: Source, into parameters: Parameters, prefix: String = "",
                trainable: @escaping (String) -> Bool = { _ in true },
                startsAtZero: @escaping (String) -> Bool = { _ in false }) {
        self.source = source
        self.parameters = parameters
        self.prefix = prefix
        isTrainable = trainable
        self.startsAtZero = startsAtZero
    }

    public subscript(_ name: String) -> ParameterScope {
        ParameterScope(source, into: parameters, prefix: prefix.isEmpty ? name : "\(prefix).\(name)",
                       trainable: isTrainable, startsAtZero: startsAtZero)
    }

    public subscript(_ index: Int) -> ParameterScope { self[String(index)] }

    /// The parameter `prefix.name` with `shape`: loaded (the checkpoint must hold it with that shape) or made by
    /// `initial`.
    public func parameter(_ name: String, _ shape: [Int], initial: Initializer) throws -> Variable {
        let key = self[name].prefix
        return try parameters.register(key) {
            let value: Tensor
            switch source {
            case .checkpoint(let weights):
                value = try weights.tensor(key, shape: shape)
            case .initialize(let seed):
                switch startsAtZero(key) ? .zeros : initial {
                case .zeros: value = Tensor(shape: shape)
                case .ones: value = Tensor(shape: shape, repeating: 1)
                case .uniform(let bound):
                    var rng = TrainingRandom(seed: seed, key: key)
                    value = rng.uniform(shape, bound: bound)
                }
            }
            return Variable(value, requiresGrad: isTrainable(key))
        }
    }
}

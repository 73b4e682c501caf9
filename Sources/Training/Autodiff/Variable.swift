import Tensors

/// A tensor in a differentiable computation: a value, and (for trainable leaves) the gradient that
/// `backward()` accumulates into it.
///
/// - A leaf made with `requiresGrad: true` (a trainable parameter, or an input whose gradient is wanted) owns a
///   gradient slot; `grad` is nil until a backward pass reaches it, then holds ∂loss/∂value (same shape as
///   `value`), summed over backward passes until `zeroGrad()`.
/// - A frozen leaf (`requiresGrad: false`, the default) owns nothing: no gradient storage, and operations whose
///   inputs are all frozen record nothing. Gradients still flow *through* operations on frozen values to any
///   trainable input (a frozen linear layer passes ∂/∂x to a trainable x without computing ∂/∂W).
/// - The result of an operation with a trainable input carries a `GradNode`: the recipe that turns the
///   gradient of this result into gradients of the inputs. The nodes form the graph `backward()` walks.
///
/// Mutating `value` of a leaf after it was used in a recorded forward pass is allowed (the optimizer does it
/// after backward); recorded operations captured the old value.
public final class Variable {
    public var value: Tensor
    let node: GradNode?

    /// A leaf.
    public init(_ value: Tensor, requiresGrad: Bool = false) {
        self.value = value
        node = requiresGrad ? GradNode(leafOfShape: value.shape) : nil
    }

    /// An operation's result with its recorded node (nil when nothing upstream needs a gradient).
    init(_ value: Tensor, node: GradNode?) {
        self.value = value
        self.node = node
    }

    /// Whether gradients reach this variable: a trainable leaf, or a result that depends on one.
    public var requiresGrad: Bool { node != nil }

    /// Whether this is a trainable leaf (a variable that owns a gradient).
    public var isTrainableLeaf: Bool { node?.isLeaf ?? false }

    /// ∂loss/∂value accumulated by `backward()`; only trainable leaves have one. Setting it replaces the slot
    /// (the optimizer's clipping scales it in place); setting a frozen variable's gradient is ignored.
    public var grad: Tensor? {
        get { node?.isLeaf == true ? node?.grad : nil }
        set { if let node, node.isLeaf { node.grad = newValue } }
    }

    /// Clears the accumulated gradient (frees its storage).
    public func zeroGrad() { grad = nil }

    public var shape: [Int] { value.shape }

    /// A frozen copy: the same value, cut off from the graph (like `tensor.detach()`).
    public func detached() -> Variable { Variable(value) }
}

/// Whether operations record gradient nodes, scoped to a task (like `torch.no_grad()`).
public enum GradMode {
    @TaskLocal public static var isEnabled = true

    /// Set while a checkpointed block runs its first, unrecorded forward: operations note there whether any
    /// trainable variable was used (so the block knows it must be recomputed during backward).
    @TaskLocal static var usageProbe: UsageProbe?

    /// Runs `body` recording nothing: results of operations are frozen whatever their inputs.
    public static func withoutGradients<R>(_ body: () throws -> R) rethrows -> R {
        try $isEnabled.withValue(false, operation: body)
    }
}

/// A flag set by any operation that would have recorded a node had recording been on.
final class UsageProbe: @unchecked Sendable {
    var sawTrainable = false
}

extension Variable {
    /// The result of an operation. When recording is on and some input needs a gradient (or `force`), `make`
    /// is called with which inputs need one and returns the backward function: gradient of the result → one
    /// gradient per input (nil where not needed). Closures capture only what their backward reads.
    ///
    /// - inputs: the differentiable inputs, in the order the backward function returns their gradients.
    /// - force: record even when no input needs a gradient (a checkpointed block whose parameters do).
    static func record(_ value: Tensor, inputs: [Variable?], force: Bool = false,
                       _ make: (_ needs: [Bool]) -> (Tensor) -> [Tensor?]) -> Variable {
        let needs = inputs.map { $0?.node != nil }
        guard needs.contains(true) || force else { return Variable(value) }
        guard GradMode.isEnabled else {
            GradMode.usageProbe?.sawTrainable = true
            return Variable(value)
        }
        let parents = inputs.map { $0?.node }
        return Variable(value, node: GradNode(shape: value.shape, parents: parents, backward: make(needs)))
    }
}

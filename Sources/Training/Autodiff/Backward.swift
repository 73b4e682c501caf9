import Tensors

/// One recorded operation in the gradient graph (or a trainable leaf's gradient slot).
///
/// Nodes reference the nodes of their inputs, not the input values: once the forward code drops an
/// intermediate `Variable`, only what its consumers' backward closures captured stays alive. `backward()`
/// frees each closure (and the tensors it captured) as soon as it has run.
final class GradNode {
    /// Shape of the value this node produced; incoming gradients must match it.
    let shape: [Int]
    /// Nodes of the inputs, one per gradient the backward function returns (nil: input needs none).
    let parents: [GradNode?]
    /// Gradient of this node's value → gradients of its inputs. Nil for leaves, and after it has run.
    var backward: ((Tensor) -> [Tensor?])?
    let isLeaf: Bool
    /// Leaves: the accumulated gradient. Inner nodes: the gradient being summed during one backward pass.
    var grad: Tensor?

    init(leafOfShape shape: [Int]) {
        self.shape = shape
        parents = []
        isLeaf = true
    }

    init(shape: [Int], parents: [GradNode?], backward: @escaping (Tensor) -> [Tensor?]) {
        self.shape = shape
        self.parents = parents
        self.backward = backward
        isLeaf = false
    }

    /// Adds `g` to this node's gradient (in place when the storage is not shared).
    func accumulate(_ g: Tensor) {
        precondition(g.shape == shape, "backward: gradient \(g.shape) for a value of shape \(shape)")
        guard var sum = grad else { grad = g; return }
        grad = nil  // drop our reference so the in-place add does not copy
        sum.scalars.withUnsafeMutableBufferPointer { s in
            g.scalars.withUnsafeBufferPointer { a in
                for i in 0..<s.count { s[i] += a[i] }
            }
        }
        grad = sum
    }
}

extension Variable {
    /// Reverse-mode differentiation from this variable: adds ∂(seed·self)/∂leaf to every trainable leaf's
    /// `grad`. The seed defaults to 1 for a single-element value (a loss); otherwise pass ∂loss/∂self (same
    /// shape). The graph is consumed: each node's backward runs once and is then released, so calling
    /// `backward()` twice on the same graph is an error (as PyTorch without `retain_graph`).
    ///
    /// Nodes run in reverse topological order (every consumer before its producers), so each node sees the
    /// complete sum of its gradient before passing it on.
    public func backward(seed: Tensor? = nil) {
        guard let root = node else { return }  // nothing trainable upstream
        let g = seed ?? Tensor(shape: value.shape, repeating: 1)
        precondition(seed != nil || value.count == 1, "backward: a seed is needed for a value of shape \(value.shape)")
        let order = Self.topologicalOrder(from: root)
        root.accumulate(g)
        for node in order.reversed() where !node.isLeaf {
            guard let upstream = node.grad else { continue }
            node.grad = nil
            guard let fn = node.backward else {
                preconditionFailure("backward: a graph can be differentiated once; record the forward again")
            }
            node.backward = nil
            let grads = fn(upstream)
            precondition(grads.count == node.parents.count, "backward: \(grads.count) gradients for \(node.parents.count) inputs")
            for (parent, grad) in zip(node.parents, grads) {
                if let parent, let grad { parent.accumulate(grad) }
            }
        }
    }

    /// Nodes reachable from `root`, each after all of its parents (iterative depth-first post-order).
    static func topologicalOrder(from root: GradNode) -> [GradNode] {
        var order: [GradNode] = []
        var visited = Set<ObjectIdentifier>()
        var stack: [(GradNode, Int)] = [(root, 0)]
        visited.insert(ObjectIdentifier(root))
        while let (node, next) = stack.popLast() {
            if next < node.parents.count {
                stack.append((node, next + 1))
                if let p = node.parents[next], visited.insert(ObjectIdentifier(p)).inserted { stack.append((p, 0)) }
            } else {
                order.append(node)
            }
        }
        return order
    }
}

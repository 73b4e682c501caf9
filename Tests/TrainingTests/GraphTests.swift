import Testing
import Tensors
@testable import Training

/// The autodiff engine itself: accumulation, frozen leaves, recording scope, checkpointing, memory release.
@Suite struct GraphTests {
    /// A value used twice sums both paths' gradients: d/dx (x·x + 3x) = 2x + 3.
    @Test func fanOutAccumulates() {
        let x = Variable(Tensor(shape: [3], scalars: [1, -2, 0.5]), requiresGrad: true)
        ((x * x) + x * 3).sum().backward()
        #expect(x.grad?.scalars == [5, -1, 4])
        // A second backward on a fresh graph adds to the same slot until zeroGrad.
        (x * 2).sum().backward()
        #expect(x.grad?.scalars == [7, 1, 6])
        x.zeroGrad()
        #expect(x.grad == nil)
    }

    /// Frozen leaves own no gradient; operations on frozen values only record nothing at all.
    @Test func frozenRecordsNothing() {
        let w = Variable(Tensor(shape: [2, 2], scalars: [1, 2, 3, 4]))
        let frozenOnly = Variable(Tensor(shape: [1, 2], scalars: [1, 1])).linear(weight: w)
        #expect(!frozenOnly.requiresGrad && frozenOnly.node == nil)
        let x = Variable(Tensor(shape: [1, 2], scalars: [1, 1]), requiresGrad: true)
        x.linear(weight: w).sum().backward()
        #expect(w.grad == nil)
        #expect(x.grad?.scalars == [4, 6])  // column sums of W
    }

    @Test func noGradientScope() {
        let x = Variable(Tensor(shape: [2], scalars: [1, 2]), requiresGrad: true)
        let y = GradMode.withoutGradients { (x * x).sum() }
        #expect(!y.requiresGrad)
        y.backward()
        #expect(x.grad == nil)
    }

    /// Backward releases each node's closure, and with it the activations it captured.
    @Test func backwardReleasesCapturedValues() {
        let x = Variable(Tensor(shape: [4], scalars: [1, 2, 3, 4]), requiresGrad: true)
        let loss = x.silu().sum()
        let order = Variable.topologicalOrder(from: loss.node!)
        #expect(order.contains { $0.backward != nil })
        loss.backward()
        #expect(order.allSatisfy { $0.backward == nil && ($0.isLeaf || $0.grad == nil) })
    }

    /// Checkpointed blocks: same values and gradients, for inputs and for parameters used inside, also when the
    /// block's input needs no gradient (the first layer) and when blocks nest.
    @Test func checkpointedBlock() {
        let w = Variable(randn([5, 5], seed: 1, scale: 0.5), requiresGrad: true)
        let x = Variable(randn([3, 5], seed: 2), requiresGrad: true)
        let constant = Variable(randn([3, 5], seed: 3))
        func block(_ v: Variable) -> Variable { v.linear(weight: w).gelu().layerNorm(gamma: nil, beta: nil) }

        func run(_ wrap: Bool) -> (Tensor, Tensor, Tensor) {
            w.zeroGrad(); x.zeroGrad()
            let inner = { (v: Variable) in wrap ? checkpointed([v]) { block($0[0]) } : block(v) }
            let y = inner(x) + inner(constant) + (wrap ? checkpointed([x]) { v in checkpointed([v[0]]) { block($0[0]) } } : block(x))
            (y * y).sum().backward()
            return (y.value, w.grad!, x.grad!)
        }
        let plain = run(false), recomputed = run(true)
        #expect(plain.0 == recomputed.0)
        #expect(maxAbsDiff(plain.1, recomputed.1) <= 1e-5 * maxAbs(plain.1))
        #expect(maxAbsDiff(plain.2, recomputed.2) <= 1e-5 * maxAbs(plain.2))
    }
}

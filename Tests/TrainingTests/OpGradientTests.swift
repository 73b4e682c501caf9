import Foundation
import Models
import Testing
import Tensors
@testable import Training

/// Every differentiable operation against central finite differences (see `GradCheck` for the method and
/// tolerance: 1e-3 relative, measured errors are printed; the worst seen is 2.6e-4).
@Suite struct OpGradientTests {
    // MARK: Matrix products

    @Test func linear() {
        GradCheck.run("linear", [randn([2, 3, 5], seed: 1), randn([4, 5], seed: 2), randn([4], seed: 3)]) {
            $0[0].linear(weight: $0[1], bias: $0[2])
        }
        GradCheck.run("linear no bias", [randn([3, 5], seed: 4), randn([6, 5], seed: 5)]) { $0[0].linear(weight: $0[1]) }
    }

    @Test func matmul() {
        GradCheck.run("matmul", [randn([2, 3, 4], seed: 1), randn([2, 4, 5], seed: 2)]) { $0[0].matmul($0[1]) }
    }

    // MARK: Convolution

    @Test(arguments: [(3, 1, 1), (3, 2, 1), (3, 2, 0), (1, 1, 0), (1, 2, 0), (3, 1, 0)])
    func conv2d(kernel: Int, stride: Int, padding: Int) {
        let inputs = [randn([2, 3, 7, 6], seed: 1), randn([4, 3, kernel, kernel], seed: 2, scale: 0.3), randn([4], seed: 3)]
        GradCheck.run("conv2d k\(kernel) s\(stride) p\(padding)", inputs) {
            $0[0].conv2d(weight: $0[1], bias: $0[2], stride: stride, padding: padding)
        }
    }

    /// Banded columns (one output row at a time) give the same gradients as one band.
    @Test func convBackwardBands() {
        let x = randn([2, 3, 7, 6], seed: 1), w = randn([4, 3, 3, 3], seed: 2), g = randn([2, 4, 4, 3], seed: 3)
        let p = ConvGeometry(channels: 3, height: 7, width: 6, kh: 3, kw: 3, stride: 2, padding: 1, outHeight: 4, outWidth: 3)
        let whole = Variable.convBackward(g, x: x, w: w, inputShape: x.shape, batch: 2, outChannels: 4, geometry: p)
        let banded = Variable.convBackward(g, x: x, w: w, inputShape: x.shape, batch: 2, outChannels: 4, geometry: p, bandBudget: 1)
        #expect(maxAbsDiff(whole.0!, banded.0!) <= 1e-6 && maxAbsDiff(whole.1!, banded.1!) <= 1e-5)
    }

    // MARK: Normalisation

    @Test(arguments: [false, true])
    func groupNorm(silu: Bool) {
        let inputs = [randn([2, 4, 3, 3], seed: 1, scale: 2) + 0.5, randn([4], seed: 2, scale: 0.5) + 1, randn([4], seed: 3)]
        GradCheck.run("groupNorm silu=\(silu)", inputs) {
            $0[0].groupNorm(groups: 2, gamma: $0[1], beta: $0[2], eps: 1e-5, thenSiLU: silu)
        }
        GradCheck.run("groupNorm no affine silu=\(silu)", [inputs[0]]) {
            $0[0].groupNorm(groups: 4, gamma: nil, beta: nil, thenSiLU: silu)
        }
    }

    @Test func layerNorm() {
        let inputs = [randn([2, 3, 6], seed: 1, scale: 2), randn([6], seed: 2, scale: 0.5) + 1, randn([6], seed: 3)]
        GradCheck.run("layerNorm", inputs) { $0[0].layerNorm(gamma: $0[1], beta: $0[2]) }
    }

    @Test func softmax() {
        GradCheck.run("softmax", [randn([3, 5], seed: 1, scale: 2)]) { $0[0].softmax() }
    }

    // MARK: Attention

    @Test func attention() {
        let q = randn([2, 4, 8], seed: 1), k = randn([2, 5, 8], seed: 2), v = randn([2, 5, 8], seed: 3)
        GradCheck.run("attention", [q, k, v]) { Variable.attention(q: $0[0], k: $0[1], v: $0[2], heads: 2) }
        GradCheck.run("attention scale 0.7", [q, k, v]) { Variable.attention(q: $0[0], k: $0[1], v: $0[2], heads: 4, scale: 0.7) }
        var mask = randn([4, 5], seed: 4)
        for i in 0..<4 { for j in (i + 2)..<5 { mask.scalars[i * 5 + j] = -.infinity } }
        GradCheck.run("attention masked", [q, k, v]) { Variable.attention(q: $0[0], k: $0[1], v: $0[2], heads: 2, mask: mask) }
    }

    /// Query chunks in backward (one row at a time) give the gradients of one chunk.
    @Test func attentionBackwardChunks() {
        let q = randn([2, 6, 8], seed: 1), k = randn([2, 5, 8], seed: 2), v = randn([2, 5, 8], seed: 3), g = randn([2, 6, 8], seed: 4)
        let whole = Variable.attentionBackward(g, q: q, k: k, v: v, heads: 2, scale: 0.5, mask: nil)
        let rows = Variable.attentionBackward(g, q: q, k: k, v: v, heads: 2, scale: 0.5, mask: nil, scoreBudget: 5)
        #expect(maxAbsDiff(whole.dq, rows.dq) <= 1e-6 && maxAbsDiff(whole.dk, rows.dk) <= 1e-6 && maxAbsDiff(whole.dv, rows.dv) <= 1e-6)
    }

    @Test(arguments: [FrameAttention.Sources.sparseCausal, .all, .window(radius: 1)])
    func frameAttention(sources: FrameAttention.Sources) {
        // Two clips of three frames: [B·F = 6, T = 3, D = 4].
        let q = randn([6, 3, 4], seed: 1), k = randn([6, 3, 4], seed: 2), v = randn([6, 3, 4], seed: 3)
        GradCheck.run("frame attention \(sources)", [q, k, v]) {
            Variable.frameAttention(q: $0[0], k: $0[1], v: $0[2], heads: 2, frameCount: 3, sources: sources)
        }
    }

    // MARK: Activations

    @Test func activations() {
        let x = randn([3, 7], seed: 1, scale: 2)
        GradCheck.run("silu", [x]) { $0[0].silu() }
        GradCheck.run("gelu", [x]) { $0[0].gelu() }
        GradCheck.run("quickGELU", [x]) { $0[0].quickGELU() }
        GradCheck.run("sigmoid", [x]) { $0[0].sigmoid() }
        GradCheck.run("geglu", [randn([2, 3, 8], seed: 2, scale: 2)]) { $0[0].geglu() }
    }

    // MARK: Layout

    @Test func layout() {
        let x = randn([2, 3, 4], seed: 1)
        GradCheck.run("reshape", [x]) { $0[0].reshaped([6, -1]).softmax() }
        GradCheck.run("permute", [x]) { $0[0].permuted([2, 0, 1]).softmax() }
        GradCheck.run("concat", [x, randn([2, 2, 4], seed: 2)]) { Variable.concat([$0[0], $0[1], $0[0]], axis: 1) }
        GradCheck.run("slice", [x]) { $0[0].slice(axis: 2, 1..<3) }
        GradCheck.run("chunk", [x]) { v in let c = v[0].chunked(2, axis: 2); return c[1] * c[0] }
        let image = randn([2, 3, 3, 5], seed: 3)
        GradCheck.run("upsample2x", [image]) { $0[0].upsampledNearest2x() }
        GradCheck.run("resizeNearest", [image]) { $0[0].resizedNearest(height: 7, width: 9) }
        GradCheck.run("pad", [image]) { $0[0].padded(top: 1, bottom: 2, left: 0, right: 1) }
    }

    // MARK: Elementwise, biases, embedding, reductions

    @Test func elementwise() {
        let a = randn([2, 3, 4], seed: 1), b = randn([2, 3, 4], seed: 2)
        GradCheck.run("add", [a, b]) { $0[0] + $0[1] }
        GradCheck.run("sub", [a, b]) { $0[0] - $0[1] }
        GradCheck.run("mul", [a, b]) { $0[0] * $0[1] }
        GradCheck.run("square", [a]) { $0[0] * $0[0] }
        GradCheck.run("scale, shift, negate", [a]) { -($0[0] * 1.5 + 0.25) }
        GradCheck.run("exp", [a]) { $0[0].exp() }
        // Values kept ≥ 0.05 away from the bounds, where the derivative jumps.
        let spread = Tensor(shape: [8], scalars: [-2, -1.2, -0.7, -0.3, 0.2, 0.6, 1.1, 2.5])
        GradCheck.run("clamp", [spread]) { $0[0].clamped(min: -1, max: 1) }
        GradCheck.run("channel bias", [randn([2, 3, 2, 2], seed: 3), randn([3], seed: 4)]) { $0[0].addingChannelBias($0[1]) }
        GradCheck.run("per-channel add", [randn([2, 3, 2, 2], seed: 3), randn([2, 3], seed: 4)]) { $0[0].addingPerChannel($0[1]) }
        GradCheck.run("row add", [a, randn([4], seed: 5)]) { $0[0].addingRow($0[1]) }
        let ids = [[0, 3, 3, 1], [2, 2, 0, 4]]
        GradCheck.run("embedding", [randn([5, 3], seed: 6)]) { Variable.embedding(ids, weight: $0[0]) }
        GradCheck.run("sum", [a]) { ($0[0] * $0[0]).sum() }
        GradCheck.run("mean", [a]) { ($0[0] * $0[0]).mean() }
        GradCheck.run("mse", [a, b]) { Variable.mseLoss($0[0], $0[1]) }
        let w = Tensor(shape: a.shape, scalars: (0..<a.count).map { Float($0 % 3) + 0.5 })
        GradCheck.run("weighted mse", [a, b]) { Variable.weightedMSELoss($0[0], $0[1], weights: w) }
    }

    /// Unit weights give the plain MSE; a zero weight removes its element from the loss and its gradient.
    @Test func weightedMSEIdentities() {
        let a = randn([2, 3, 4], seed: 11), b = randn([2, 3, 4], seed: 12)
        let plain = Variable.mseLoss(Variable(a), Variable(b)).value.scalars[0]
        let ones = Variable.weightedMSELoss(Variable(a), Variable(b), weights: Tensor(shape: a.shape, repeating: 1)).value.scalars[0]
        #expect(abs(plain - ones) <= 1e-6 * plain)
        var mask = [Float](repeating: 1, count: a.count)
        mask[5] = 0
        var moved = b.scalars
        moved[5] += 100
        let p = Variable(a, requiresGrad: true)
        let masked = Variable.weightedMSELoss(p, Variable(Tensor(shape: b.shape, scalars: moved)), weights: Tensor(shape: a.shape, scalars: mask))
        let reference = Variable.weightedMSELoss(Variable(a), Variable(b), weights: Tensor(shape: a.shape, scalars: mask)).value.scalars[0]
        #expect(masked.value.scalars[0] == reference)
        masked.backward()
        #expect(p.grad?.scalars[5] == 0)
    }

    /// A small composite (a transformer-ish block) end to end, catching wiring mistakes between ops.
    @Test func composite() {
        let x = randn([2, 4, 8], seed: 1), ctx = randn([2, 3, 6], seed: 2)
        let wq = randn([8, 8], seed: 3, scale: 0.4), wk = randn([8, 6], seed: 4, scale: 0.4), wv = randn([8, 6], seed: 5, scale: 0.4)
        let gamma = randn([8], seed: 6, scale: 0.2) + 1, w1 = randn([16, 8], seed: 7, scale: 0.4), w2 = randn([8, 8], seed: 8, scale: 0.4)
        GradCheck.run("composite block", [x, ctx, wq, wk, wv, gamma, w1, w2]) { v in
            let n = v[0].layerNorm(gamma: v[5], beta: nil)
            let h = v[0] + Variable.attention(q: n.linear(weight: v[2]), k: v[1].linear(weight: v[3]), v: v[1].linear(weight: v[4]), heads: 2)
            return h + h.linear(weight: v[6]).geglu().linear(weight: v[7])
        }
    }
}

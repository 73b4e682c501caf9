import Foundation
import Models
import Testing
import Tensors
@testable import Training

/// The differentiable UNet against `Models`' inference UNet (values) and PyTorch (gradients).
@Suite struct UNetGradientTests {
    let io = "unet/io.safetensors"

    /// Same kernels in the same order: the trainable forward equals the inference forward bit for bit.
    @Test func forwardMatchesInferenceModel() throws {
        let (unet, _, weights) = try fixtureUNet()
        let inference = try UNet2DConditionModel(WeightScope(weights), config: unet.config)
        let sample = try fixture(io, "sample"), context = try fixture(io, "encoder_hidden_states")
        let t = try fixture(io, "timesteps").scalars
        let trained = unet(Variable(sample), timesteps: t, context: Variable(context)).value
        let reference = inference(sample, timesteps: t, context: context)
        #expect(trained == reference, "max |Δ| \(maxAbsDiff(trained, reference))")
        #expect(maxAbsDiff(trained, try fixture(io, "output")) <= 1e-4)
    }

    /// loss = mean(output²): gradients of the inputs and of one parameter of every layer kind against
    /// diffusers/torch. Tolerance 1e-4 relative to each gradient's largest magnitude.
    @Test func gradientsMatchPyTorch() throws {
        let (unet, parameters, _) = try fixtureUNet()
        let sample = Variable(try fixture(io, "sample"), requiresGrad: true)
        let context = Variable(try fixture(io, "encoder_hidden_states"), requiresGrad: true)
        let output = unet(sample, timesteps: try fixture(io, "timesteps").scalars, context: context)
        let loss = (output * output).mean()
        loss.backward()
        let grads = "grads/unet_grads.safetensors"
        #expect(abs(loss.value.scalars[0] - (try fixture(grads, "loss").scalars[0])) <= 1e-5)
        var checked: [(String, Tensor?)] = [("sample", sample.grad), ("encoder_hidden_states", context.grad)]
        for key in ["conv_in.weight", "time_embedding.linear_1.weight", "down_blocks.0.resnets.0.conv1.weight",
                    "down_blocks.0.resnets.0.norm1.weight",
                    "down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_q.weight",
                    "down_blocks.0.attentions.0.transformer_blocks.0.attn2.to_k.weight",
                    "down_blocks.0.downsamplers.0.conv.bias", "mid_block.attentions.0.norm.weight",
                    "up_blocks.0.upsamplers.0.conv.bias", "up_blocks.1.attentions.0.transformer_blocks.0.norm1.weight",
                    "up_blocks.1.attentions.0.transformer_blocks.0.ff.net.0.proj.weight", "conv_out.bias"] {
            checked.append((key, parameters[key]?.grad))
        }
        var worst: Float = 0
        for (name, grad) in checked {
            guard let grad else { Issue.record("\(name): no gradient"); continue }
            let expected = try fixture(grads, name)
            let err = relativeError(grad, expected)
            worst = max(worst, err)
            #expect(err <= 1e-4, "\(name): max |Δ| / max |g| = \(err); first values \(grad.scalars.prefix(3)) vs \(expected.scalars.prefix(3))")
        }
        print("UNet gradient parity with PyTorch: worst max|Δ|/max|g| = \(worst) over \(checked.count) tensors")
    }

    /// Gradient checkpointing recomputes blocks in backward and gives the same gradients.
    @Test func checkpointingGivesSameGradients() throws {
        func gradients(checkpointing: Bool) throws -> [String: Tensor] {
            var (unet, parameters, _) = try fixtureUNet()
            unet.checkpointing = checkpointing
            let sample = Variable(try fixture(io, "sample"), requiresGrad: true)
            let out = unet(sample, timesteps: try fixture(io, "timesteps").scalars, context: Variable(try fixture(io, "encoder_hidden_states")))
            (out * out).mean().backward()
            var g = parameters.trainable.reduce(into: [String: Tensor]()) { $0[$1.key] = $1.variable.grad }
            g["sample"] = sample.grad
            return g
        }
        let plain = try gradients(checkpointing: false), recomputed = try gradients(checkpointing: true)
        #expect(plain.count == recomputed.count)
        var worst: Float = 0
        for (key, g) in plain {
            guard let r = recomputed[key] else { Issue.record("\(key) missing with checkpointing"); continue }
            worst = max(worst, relativeError(r, g))
        }
        #expect(worst <= 1e-6, "checkpointed gradients differ by \(worst) (relative)")
    }

    /// Tuning only attn1.to_q: frozen parameters get no gradient, while the gradient still flows through frozen
    /// layers to the trainable ones and to a trainable input, with the values of the all-trainable run.
    @Test func frozenParametersPassGradients() throws {
        let tuned = { (key: String) in key.hasSuffix("attn1.to_q.weight") }
        let (unet, parameters, _) = try fixtureUNet(trainable: tuned)
        let sample = Variable(try fixture(io, "sample"), requiresGrad: true)
        let out = unet(sample, timesteps: try fixture(io, "timesteps").scalars, context: Variable(try fixture(io, "encoder_hidden_states")))
        (out * out).mean().backward()
        #expect(parameters.trainable.map(\.key).allSatisfy(tuned) && parameters.trainable.count == 4)  // down 1, mid 1, up 2
        #expect(parameters.all.filter { !tuned($0.key) }.allSatisfy { $0.variable.grad == nil && !$0.variable.requiresGrad })
        let key = "down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_q.weight"
        let grads = "grads/unet_grads.safetensors"
        #expect(relativeError(try #require(parameters[key]?.grad), try fixture(grads, key)) <= 1e-4)
        #expect(relativeError(try #require(sample.grad), try fixture(grads, "sample")) <= 1e-4)
    }
}

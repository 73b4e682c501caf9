import Foundation
import Testing
import Tensors
@testable import Models
@testable import Training

@Test func scratchTiming() throws {
    let (unet, parameters, weights) = try fixtureUNet()
    let inference = try Models.UNet2DConditionModel(WeightScope(weights), config: unet.config)
    let io = "unet/io.safetensors"
    let sample = try fixture(io, "sample"), context = try fixture(io, "encoder_hidden_states")
    let t = try fixture(io, "timesteps").scalars
    func time(_ label: String, _ body: () -> Void) {
        body()
        let start = Date()
        for _ in 0..<5 { body() }
        print("timing \(label): \(String(format: "%.1f", -start.timeIntervalSinceNow / 5 * 1000)) ms")
    }
    time("inference forward") { _ = inference(sample, timesteps: t, context: context) }
    time("trainable forward (recording)") { _ = unet(Variable(sample), timesteps: t, context: Variable(context)) }
    time("trainable forward+backward") {
        let out = unet(Variable(sample), timesteps: t, context: Variable(context)); (out * out).mean().backward(); parameters.zeroGrad()
    }
    var ck = unet; ck.checkpointing = true
    time("checkpointed forward+backward") {
        let out = ck(Variable(sample), timesteps: t, context: Variable(context)); (out * out).mean().backward(); parameters.zeroGrad()
    }
}

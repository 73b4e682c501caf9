import Foundation
import SafeTensors
import Testing
@testable import Diffusion
@testable import Models
@testable import Tensors

/// The 2-D sampling loop (one frame) against `StableDiffusionPipeline.__call__` on the tiny diffusers folders:
/// 5 DDIM steps from a fixed latent, with classifier-free guidance 7.5 and without.
@Suite struct PipelineLoopTests {
    func reference(_ pipeline: String, _ name: String) throws -> Tensor {
        let f = try SafeTensorsFile(path: fixtures + "/pipelines/\(pipeline)/reference.safetensors")
        return Tensor(shape: try f.entry(name).shape, scalars: try f.floats(name))
    }

    @Test(arguments: ["sd1-tiny", "sd2-tiny"], [true, false])
    func ddimLoopMatchesDiffusers(_ pipeline: String, guided: Bool) throws {
        let model = try StableDiffusion.load(fixtures + "/pipelines/\(pipeline)")
        let editor = VideoEditor(model: model)
        var settings = EditSettings()
        settings.steps = 5
        settings.guidance = guided ? 7.5 : 1
        settings.useAdapter = false
        var trajectory = ContextualTrajectory(sampler: model.scheduler.sampler(), inverse: model.scheduler.inverse())
        trajectory.setTimesteps(5)
        #expect(trajectory.sampler.timesteps.map(Float.init) == (try reference(pipeline, "loop_timesteps")).scalars)
        var clock = StepClock()
        let prompt = "a silver jeep driving down a curvy road in the countryside"
        let final = try editor.denoise(start: try reference(pipeline, "loop_init"), context: model.encodePrompt(prompt),
                                       negative: model.encodePrompt(""), frames: 1, settings: settings,
                                       trajectory: trajectory, shift: nil, edit: 0, progress: { _ in true }, clock: &clock)
        let expected = try reference(pipeline, guided ? "loop_latents" : "loop_noguide_latents")
        let last = expected.slice(axis: 0, 4..<5).reshaped([1, 4, 8, 8])
        let err = zip(final.scalars, last.scalars).reduce(Float(0)) { max($0, abs($1.0 - $1.1)) }
        print("\(pipeline) guided=\(guided): final latent max-abs error \(err)")
        #expect(err <= 1e-4)
        if guided {
            let decoded = model.decodeLatents(final, frameRate: 1)
            let ref = try reference(pipeline, "loop_decoded").scalars.map { min(max($0, -1), 1) }
            #expect(zip(decoded.values, ref).allSatisfy { abs($0 - $1) <= 1e-4 })
        }
    }
}

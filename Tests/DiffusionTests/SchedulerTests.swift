import Foundation
import SafeTensors
import Testing
@testable import Diffusion

let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("Fixtures").path

func fixtureFloats(_ file: String, _ name: String) throws -> [Float] {
    try SafeTensorsFile(path: fixtures + "/" + file).floats(name)
}

func fixtureJSON(_ file: String) throws -> [String: Any] {
    let data = try Data(contentsOf: URL(fileURLWithPath: fixtures + "/" + file))
    return try JSONSerialization.jsonObject(with: data) as? [String: Any] ?? [:]
}

func schedulerConfig(_ json: [String: Any]) throws -> SchedulerConfig {
    try JSONDecoder().decode(SchedulerConfig.self, from: JSONSerialization.data(withJSONObject: json))
}

func maxAbs(_ a: ArraySlice<Float>, _ b: ArraySlice<Float>) -> Float {
    zip(a, b).reduce(0) { max($0, abs($1.0 - $1.1)) }
}

/// DDIM against diffusers' `DDIMScheduler` / `DDIMInverseScheduler` golden data (`Tests/Fixtures/scheduler`).
@Suite struct SchedulerTests {
    /// Exact timestep lists for all 96 combinations of schedule, spacing, offset, alpha-to-one, prediction, steps.
    @Test func timestepListsAreExact() throws {
        let cases = try fixtureJSON("scheduler/ddim_timesteps.json")["cases"] as? [[String: Any]] ?? []
        #expect(cases.count == 96)
        for c in cases {
            let config = c["config"] as? [String: Any] ?? [:]
            var ddim = try schedulerConfig(config).sampler()
            ddim.setTimesteps(config["num_inference_steps"] as? Int ?? 0)
            #expect(ddim.timesteps == (c["timesteps"] as? [Int] ?? []), "\(config)")
            #expect(ddim.finalAlphaCumprod == Float(c["final_alpha_cumprod"] as? Double ?? -1), "\(config)")
        }
    }

    @Test(arguments: ["linear", "scaled_linear"])
    func alphasCumprodMatchTorch(_ schedule: String) throws {
        let s = (try fixtureJSON("scheduler/alphas_cumprod.json")["schedules"] as? [String: Any])?[schedule] as? [String: Any]
        let expected = (s?["alphas_cumprod"] as? [Double] ?? []).map(Float.init)
        let betas = (s?["betas"] as? [Double] ?? []).map(Float.init)
        let ours = NoiseSchedule(betaStart: 0.00085, betaEnd: 0.012, schedule: schedule == "linear" ? .linear : .scaledLinear)
        #expect(expected.count == 1000)
        // torch's vectorised linspace rounds some elements 1–2 ulp differently from the scalar formula.
        #expect(maxAbs(ours.betas[...], betas[...]) <= 4e-9)
        #expect(maxAbs(ours.alphasCumprod[...], expected[...]) <= 1e-7)
    }

    /// Full step loops: x_{t−1} from the recorded model outputs, step by step, against diffusers' prev_sample.
    @Test(arguments: ["sd15_10", "sd15_50", "linear_leading_alpha1_10", "linear_linspace_v_alpha1_10", "scaled_linspace_10",
                      "scaled_trailing_10", "sd2v_10", "v_trailing_alpha1_10"])
    func samplingLoopMatchesDiffusers(_ name: String) throws {
        let meta = try fixtureJSON("scheduler/\(name).json")
        let config = meta["config"] as? [String: Any] ?? [:]
        var ddim = try schedulerConfig(config).sampler()
        ddim.setTimesteps(config["num_inference_steps"] as? Int ?? 0)
        let file = "scheduler/\(name).safetensors"
        var sample = try fixtureFloats(file, "sample")
        let outputs = try fixtureFloats(file, "model_outputs"), expected = try fixtureFloats(file, "prev_samples")
        let n = sample.count
        // Each step from diffusers' own previous sample (so errors do not compound), then the free-running loop.
        var free = sample
        for (i, t) in ddim.timesteps.enumerated() {
            let output = Array(outputs[(i * n)..<((i + 1) * n)])
            let forced = ddim.step(modelOutput: output, timestep: t, sample: sample)
            free = ddim.step(modelOutput: output, timestep: t, sample: free)
            let target = expected[(i * n)..<((i + 1) * n)]
            #expect(maxAbs(forced[...], target) <= 5e-6, "\(name) step \(i) (t=\(t)): max-abs \(maxAbs(forced[...], target))")
            sample = Array(target)
        }
        // Free-running over all steps: float32 rounding compounds through the large x̂₀ of early steps.
        let last = expected[((ddim.timesteps.count - 1) * n)...]
        #expect(maxAbs(free[...], last) <= 1e-4, "\(name) final: max-abs \(maxAbs(free[...], last))")
    }

    @Test(arguments: ["inverse_sd15_10", "inverse_trailing_10"])
    func inversionLoopMatchesDiffusers(_ name: String) throws {
        let meta = try fixtureJSON("scheduler/\(name).json")
        let config = meta["config"] as? [String: Any] ?? [:]
        var inverse = try schedulerConfig(config).inverse()
        inverse.setTimesteps(config["num_inference_steps"] as? Int ?? 0)
        let expectedTimesteps = meta["timesteps"] as? [Int] ?? []
        #expect(inverse.timesteps == expectedTimesteps)
        // The sampler of the same config walks the same timesteps back (what an edit's blending relies on).
        var sampler = try schedulerConfig(config).sampler()
        sampler.setTimesteps(inverse.inferenceSteps)
        #expect(sampler.timesteps == inverse.timesteps.reversed())
        let file = "scheduler/\(name).safetensors"
        var sample = try fixtureFloats(file, "sample")
        let outputs = try fixtureFloats(file, "model_outputs"), expected = try fixtureFloats(file, "prev_samples")
        let n = sample.count
        for (i, t) in inverse.timesteps.enumerated() {
            let forced = inverse.step(modelOutput: Array(outputs[(i * n)..<((i + 1) * n)]), timestep: t, sample: sample)
            let target = expected[(i * n)..<((i + 1) * n)]
            #expect(maxAbs(forced[...], target) <= 5e-6, "\(name) step \(i) (t=\(t)): max-abs \(maxAbs(forced[...], target))")
            sample = Array(target)
        }
    }
}

/// `TorchRandom` against torch's CPU randn (`Tests/Fixtures/randn`): bit for bit on the portable (scalar) path,
/// within 1e-5 of the vectorised path a plain torch on an AVX-512 machine takes.
@Suite struct TorchRandomTests {
    @Test(arguments: [UInt64(0), 42, 12734])
    func matchesTorchRandn(_ seed: UInt64) throws {
        for (shape, count) in [("4x8x8", 256), ("17", 17), ("16", 16), ("15", 15), ("1", 1)] {
            var rng = TorchRandom(seed: seed)
            let ours = rng.normal(count: count)
            let scalar = try fixtureFloats("randn/randn_scalar.safetensors", "seed\(seed).shape\(shape)")
            let native = try fixtureFloats("randn/randn_native.safetensors", "seed\(seed).shape\(shape)")
            #expect(maxAbs(ours[...], scalar[...]) <= 1e-6, "seed \(seed) shape \(shape) vs scalar path")
            #expect(maxAbs(ours[...], native[...]) <= 1e-5, "seed \(seed) shape \(shape) vs native path")
        }
        // A second draw from the same generator continues the stream.
        var rng = TorchRandom(seed: seed)
        _ = rng.normal(count: 256)
        let then17 = try fixtureFloats("randn/randn_scalar.safetensors", "seed\(seed).shape4x8x8.then_shape17")
        #expect(maxAbs(rng.normal(count: 17)[...], then17[...]) <= 1e-6)
        // The SD latent shape [1, 4, 64, 64].
        var big = TorchRandom(seed: seed)
        let latent = big.normal(count: 4 * 64 * 64)
        let first64 = try fixtureFloats("randn/randn_scalar.safetensors", "seed\(seed).shape1x4x64x64.first64")
        #expect(maxAbs(latent.prefix(64), first64[...]) <= 1e-6)
    }
}

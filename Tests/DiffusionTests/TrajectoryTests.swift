import Foundation
import Testing
@testable import Diffusion
@testable import Models
@testable import Tensors

/// The identities of ContextDiff's shifted DDIM trajectory (docs/ARCHITECTURE.md, "The contextualized trajectory").
@Suite struct TrajectoryTests {
    func trajectory(steps: Int, shift: AdapterConfig.ShiftSchedule = .quadratic) -> ContextualTrajectory {
        var t = ContextualTrajectory(sampler: SchedulerConfig.stableDiffusion15.sampler(),
                                     inverse: SchedulerConfig.stableDiffusion15.inverse(), shiftSchedule: shift)
        t.setTimesteps(steps)
        return t
    }

    @Test func zeroShiftIsPlainDDIMBitForBit() {
        let traj = trajectory(steps: 10)
        let x = randomLatent([2, 4, 8, 8], seed: 1), eps = randomLatent([2, 4, 8, 8], seed: 2)
        let zero = FixedShift(r: Tensor(shape: [2, 4, 8, 8]))
        let context = Tensor(shape: [2, 3, 32])
        for t in traj.sampler.timesteps {
            let shifted = traj.step(modelOutput: eps, timestep: t, sample: x, shift: zero, context: context, frameCount: 2)
            let plain = traj.step(modelOutput: eps, timestep: t, sample: x, shift: nil, context: context, frameCount: 2)
            #expect(shifted == plain, "reverse step at t=\(t)")
            let inv = traj.invertStep(modelOutput: eps, timestep: t, sample: x, shift: zero, source: x, context: context, frameCount: 2)
            let plainInv = traj.invertStep(modelOutput: eps, timestep: t, sample: x, shift: nil, source: x, context: context, frameCount: 2)
            #expect(inv == plainInv, "inversion step at t=\(t)")
        }
    }

    @Test func untrainedAdapterLeavesDDIMUnchanged() throws {
        let adapter = try tinyAdapter(trainedLooking: false)
        let traj = trajectory(steps: 5)
        let x = randomLatent([2, 4, 8, 8], seed: 3), eps = randomLatent([2, 4, 8, 8], seed: 4)
        let context = randomLatent([2, 77, 32], seed: 5)
        let t = traj.sampler.timesteps[2]
        #expect(adapter(x, context: context, timestep: Float(t), frameCount: 2).scalars.allSatisfy { $0 == 0 })
        #expect(traj.step(modelOutput: eps, timestep: t, sample: x, shift: adapter, context: context, frameCount: 2)
                == traj.step(modelOutput: eps, timestep: t, sample: x, shift: nil, context: context, frameCount: 2))
    }

    /// With the true ε and a fixed r, every reverse step lands exactly on the forward marginal, down to x₀.
    @Test(arguments: [AdapterConfig.ShiftSchedule.quadratic, .prior])
    func trueNoiseAndFixedShiftRecoverX0(_ schedule: AdapterConfig.ShiftSchedule) {
        let traj = trajectory(steps: 20, shift: schedule)
        let x0 = randomLatent([1, 4, 8, 8], seed: 6), eps = randomLatent([1, 4, 8, 8], seed: 7)
        let r = randomLatent([1, 4, 8, 8], seed: 8) * 0.5
        let shift = FixedShift(r: r)
        var x = traj.noised(x0, shift: r, noise: eps, timestep: traj.sampler.timesteps[0])
        for t in traj.sampler.timesteps {
            x = traj.step(modelOutput: eps, timestep: t, sample: x, shift: shift, context: Tensor(shape: [1, 1, 1]), frameCount: 1)
            let s = traj.sampler.previousTimestep(t)
            if s >= 0 {
                let expected = traj.noised(x0, shift: r, noise: eps, timestep: s)
                #expect(zip(x.scalars, expected.scalars).allSatisfy { abs($0 - $1) <= 2e-5 }, "marginal at s=\(s)")
            }
        }
        // After the last step ᾱ = ᾱ_0 (set_alpha_to_one false): x = √ᾱ_0·x₀ + k_0·r + √(1−ᾱ_0)·ε.
        let a0 = traj.sampler.finalAlphaCumprod
        let last = x0 * a0.squareRoot() + r * traj.k(a0) + eps * (1 - a0).squareRoot()
        #expect(zip(x.scalars, last.scalars).allSatisfy { abs($0 - $1) <= 2e-5 })
    }

    /// The training target of each prediction type (`Prediction.target`, of the unshifted x_t) is what the
    /// shifted sampler reads: fed the exact target at every step, DDIM lands on the forward marginal each time
    /// (linear β schedule, as the default model's).
    @Test(arguments: [DDIMScheduler.Prediction.epsilon, .vPrediction, .sample])
    func exactTargetsLandOnTheMarginals(_ prediction: DDIMScheduler.Prediction) {
        var config = SchedulerConfig.stableDiffusion15
        config.prediction = prediction
        config.betaSchedule = .linear
        config.betaStart = 0.0001
        config.betaEnd = 0.02
        var traj = ContextualTrajectory(sampler: config.sampler(), inverse: config.inverse())
        traj.setTimesteps(20)
        let x0 = randomLatent([1, 4, 8, 8], seed: 16), eps = randomLatent([1, 4, 8, 8], seed: 17)
        let r = randomLatent([1, 4, 8, 8], seed: 18) * 0.5
        var x = traj.noised(x0, shift: r, noise: eps, timestep: traj.sampler.timesteps[0])
        for t in traj.sampler.timesteps {
            let target = prediction.target(noise: eps, x0: x0, alphaCumprod: traj.sampler.alphaCumprod(t))
            x = traj.step(modelOutput: target, timestep: t, sample: x, shift: FixedShift(r: r), context: Tensor(shape: [1, 1, 1]),
                          frameCount: 1)
            let s = traj.sampler.previousTimestep(t)
            if s >= 0 {
                let expected = traj.noised(x0, shift: r, noise: eps, timestep: s)
                #expect(zip(x.scalars, expected.scalars).allSatisfy { abs($0 - $1) <= 1e-4 }, "\(prediction) at s=\(s)")
            }
        }
    }

    /// A shift that depends on x₀ (r = 0.8·x₀, like the default model's adapter): reading x₀ from the source
    /// (`shiftFrom`, the editing rule) lands exactly on the marginals with the true ε; reading it from each step's
    /// estimate x̃₀ (which still contains k_t·r) does not.
    @Test func sourceLatentsKeepAnX0DependentShiftConsistent() {
        struct Proportional: TrajectoryShift {
            func shift(x0: Tensor, context: Tensor, timestep: Int, frameCount: Int) -> Tensor { x0 * 0.8 }
        }
        let traj = trajectory(steps: 20)
        let x0 = randomLatent([1, 4, 8, 8], seed: 12), eps = randomLatent([1, 4, 8, 8], seed: 13)
        let context = Tensor(shape: [1, 1, 1])
        var fromSource = traj.noised(x0, shift: x0 * 0.8, noise: eps, timestep: traj.sampler.timesteps[0])
        var fromEstimate = fromSource
        var estimateDrift: Float = 0
        for t in traj.sampler.timesteps {
            fromSource = traj.step(modelOutput: eps, timestep: t, sample: fromSource, shift: Proportional(),
                                   context: context, frameCount: 1, shiftFrom: x0)
            fromEstimate = traj.step(modelOutput: eps, timestep: t, sample: fromEstimate, shift: Proportional(),
                                     context: context, frameCount: 1)
            let s = traj.sampler.previousTimestep(t)
            guard s >= 0 else { continue }
            let expected = traj.noised(x0, shift: x0 * 0.8, noise: eps, timestep: s)
            #expect(zip(fromSource.scalars, expected.scalars).allSatisfy { abs($0 - $1) <= 2e-5 }, "marginal at s=\(s)")
            estimateDrift = max(estimateDrift, zip(fromEstimate.scalars, expected.scalars).map { abs($0 - $1) }.max()!)
        }
        #expect(estimateDrift > 1e-2)
    }

    /// Inversion with the true ε climbs the same marginals: x_t = √ᾱ_t·x₀ + k_t·r + √(1−ᾱ_t)·ε.
    @Test func inversionWithTrueNoiseFollowsTheMarginals() {
        let traj = trajectory(steps: 10)
        let x0 = randomLatent([1, 4, 8, 8], seed: 9), eps = randomLatent([1, 4, 8, 8], seed: 10)
        let r = randomLatent([1, 4, 8, 8], seed: 11) * 0.5
        let firstLevel = traj.inverse.timesteps[0] - 1000 / 10  // −99: ᾱ = initial value
        let a = traj.inverse.initialAlphaCumprod
        var x = firstLevel < 0 ? x0 * a.squareRoot() + r * traj.k(a) + eps * (1 - a).squareRoot() : x0
        for t in traj.inverse.timesteps {
            x = traj.invertStep(modelOutput: eps, timestep: t, sample: x, shift: FixedShift(r: r), source: x0,
                                context: Tensor(shape: [1, 1, 1]), frameCount: 1)
            let expected = traj.noised(x0, shift: r, noise: eps, timestep: t)
            #expect(zip(x.scalars, expected.scalars).allSatisfy { abs($0 - $1) <= 2e-5 }, "marginal at t=\(t)")
        }
    }

    @Test func shiftSchedulesVanishAtTheEnds() {
        #expect(AdapterConfig.ShiftSchedule.quadratic.k(alphaCumprod: 1) == 0)
        #expect(AdapterConfig.ShiftSchedule.quadratic.k(alphaCumprod: 0) == 0)
        #expect(AdapterConfig.ShiftSchedule.prior.k(alphaCumprod: 1) == 0)
        #expect(abs(AdapterConfig.ShiftSchedule.quadratic.k(alphaCumprod: 0.25) - 0.25) < 1e-7)  // 0.5·0.5
    }
}

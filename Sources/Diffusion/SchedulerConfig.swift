import Models

/// `scheduler/scheduler_config.json` (diffusers' DDIM family); builds the sampler and its inversion.
/// Defaults are diffusers' `DDIMScheduler` defaults.
public struct SchedulerConfig: Decodable, Sendable {
    public var trainTimesteps = 1000
    public var betaStart = 0.0001
    public var betaEnd = 0.02
    public var betaSchedule = NoiseSchedule.BetaSchedule.linear
    public var spacing = DDIMScheduler.Spacing.leading
    public var stepsOffset = 0
    public var setAlphaToOne = true
    public var prediction = DDIMScheduler.Prediction.epsilon
    public var clipSample = true
    public var clipSampleRange: Float = 1

    public init() {}

    /// Stable Diffusion 1.5's scheduler settings.
    public static let stableDiffusion15: SchedulerConfig = {
        var c = SchedulerConfig()
        c.betaStart = 0.00085
        c.betaEnd = 0.012
        c.betaSchedule = .scaledLinear
        c.stepsOffset = 1
        c.setAlphaToOne = false
        c.clipSample = false
        return c
    }()

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: AnyKey.self)
        trainTimesteps = try c.value("num_train_timesteps", trainTimesteps)
        betaStart = try c.value("beta_start", betaStart)
        betaEnd = try c.value("beta_end", betaEnd)
        let schedule = try c.choice("beta_schedule", "linear", allowed: ["linear", "scaled_linear", "squaredcos_cap_v2"])
        betaSchedule = NoiseSchedule.BetaSchedule(rawValue: schedule) ?? .linear
        let sp = try c.choice("timestep_spacing", "leading", allowed: ["leading", "trailing", "linspace"])
        spacing = DDIMScheduler.Spacing(rawValue: sp) ?? .leading
        stepsOffset = try c.value("steps_offset", stepsOffset)
        setAlphaToOne = try c.value("set_alpha_to_one", setAlphaToOne)
        let p = try c.choice("prediction_type", "epsilon", allowed: ["epsilon", "v_prediction", "sample"])
        prediction = DDIMScheduler.Prediction(rawValue: p) ?? .epsilon
        clipSample = try c.value("clip_sample", clipSample)
        clipSampleRange = try c.value("clip_sample_range", clipSampleRange)
        if try c.value("thresholding", false) {
            throw ConfigValueError(key: "thresholding", value: "true", supported: ["false"])
        }
        if try c.value("rescale_betas_zero_snr", false) {
            throw ConfigValueError(key: "rescale_betas_zero_snr", value: "true", supported: ["false"])
        }
        if let betas = try c.decodeIfPresent([Double].self, forKey: AnyKey("trained_betas")), !betas.isEmpty {
            throw ConfigValueError(key: "trained_betas", value: "a list", supported: ["null"])
        }
    }

    public var schedule: NoiseSchedule {
        NoiseSchedule(trainTimesteps: trainTimesteps, betaStart: betaStart, betaEnd: betaEnd, schedule: betaSchedule)
    }

    public func sampler() -> DDIMScheduler {
        DDIMScheduler(schedule: schedule, spacing: spacing, stepsOffset: stepsOffset, prediction: prediction,
                      setAlphaToOne: setAlphaToOne, clipSample: clipSample, clipSampleRange: clipSampleRange)
    }

    public func inverse() -> DDIMInverseScheduler {
        DDIMInverseScheduler(schedule: schedule, stepsOffset: stepsOffset, prediction: prediction, setAlphaToOne: setAlphaToOne)
    }
}

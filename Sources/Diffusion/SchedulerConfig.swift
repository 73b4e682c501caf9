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
        guard (1...Self.maxTrainTimesteps).contains(trainTimesteps) else {
            throw ConfigValueError(key: "num_train_timesteps", value: "\(trainTimesteps)", supported: ["1 to \(Self.maxTrainTimesteps)"])
        }
        betaStart = try c.value("beta_start", betaStart)
        betaEnd = try c.value("beta_end", betaEnd)
        let schedule = try c.choice("beta_schedule", "linear", allowed: ["linear", "scaled_linear", "squaredcos_cap_v2"])
        betaSchedule = NoiseSchedule.BetaSchedule(rawValue: schedule) ?? .linear
        let sp = try c.choice("timestep_spacing", "leading", allowed: ["leading", "trailing", "linspace"])
        spacing = DDIMScheduler.Spacing(rawValue: sp) ?? .leading
        stepsOffset = try c.value("steps_offset", stepsOffset)
        guard (0..<trainTimesteps).contains(stepsOffset) else {
            throw ConfigValueError(key: "steps_offset", value: "\(stepsOffset)", supported: ["0 to \(trainTimesteps - 1)"])
        }
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

    /// Larger schedules are refused when read (Stable Diffusion uses 1000; the tables are held in memory).
    public static let maxTrainTimesteps = 100_000

    /// Checks that `steps` sampling steps fit this schedule: 1 ≤ steps ≤ T, and every timestep of the sampler and
    /// of the inversion (spacing plus `steps_offset`) lies in 0..<T. diffusers indexes past the end of ᾱ in these
    /// cases (e.g. 1000 steps with Stable Diffusion 1.5's `steps_offset` 1 reaches timestep 1000); here they are
    /// an ``EditError/invalidRequest(_:)`` that says how many steps fit.
    public func checkSteps(_ steps: Int) throws {
        func fits(_ n: Int) -> Bool {
            guard n >= 1, n <= trainTimesteps else { return false }
            let forward = DDIMScheduler.timesteps(n, trainTimesteps: trainTimesteps, spacing: spacing, offset: stepsOffset)
            let inverse = DDIMInverseScheduler.timesteps(n, trainTimesteps: trainTimesteps, spacing: spacing, offset: stepsOffset)
            return (forward + inverse).allSatisfy { (0..<trainTimesteps).contains($0) }
        }
        guard !fits(steps) else { return }
        // The largest step count below that fits (searched a little way down; there is usually one close by).
        let start = min(steps, trainTimesteps + 1) - 1
        let best = start >= 1 ? stride(from: start, through: max(1, start - 2000), by: -1).first(where: fits) : nil
        let settings = "num_train_timesteps \(trainTimesteps), steps_offset \(stepsOffset), timestep_spacing \(spacing.rawValue)"
        throw EditError.invalidRequest("\(steps) sampling steps do not fit the model's scheduler (\(settings))"
            + (best.map { "; use at most \($0) steps" } ?? "; check steps_offset in scheduler/scheduler_config.json"))
    }

    public var schedule: NoiseSchedule {
        NoiseSchedule(trainTimesteps: trainTimesteps, betaStart: betaStart, betaEnd: betaEnd, schedule: betaSchedule)
    }

    public func sampler() -> DDIMScheduler {
        DDIMScheduler(schedule: schedule, spacing: spacing, stepsOffset: stepsOffset, prediction: prediction,
                      setAlphaToOne: setAlphaToOne, clipSample: clipSample, clipSampleRange: clipSampleRange)
    }

    public func inverse() -> DDIMInverseScheduler {
        DDIMInverseScheduler(schedule: schedule, spacing: spacing, stepsOffset: stepsOffset, prediction: prediction,
                             setAlphaToOne: setAlphaToOne)
    }
}

import Tensors

/// The optimisation loop around a loss: zero gradients, forward + backward, optional clipping, one AdamW update
/// at the scheduled learning rate, and checkpoints that resume bit-identically.
///
///     let trainer = Trainer(parameters: params.trainable, state: TrainingState(seed: 7, schedule: .cosine(...)))
///     for _ in 0..<steps {
///         let loss = trainer.step { rng in Variable.mseLoss(unet(noisy(rng), ...), noise) }
///     }
///     try trainer.save(to: "out/checkpoint")
///
/// Each step's random numbers come from `TrainingRandom(seed: state.seed, stream: state.step)`, so a resumed
/// run draws what the uninterrupted run would have. With `state.averageDecay` set, every update also folds the
/// parameters into their moving average (`WeightAverage`), saved and resumed with the checkpoint.
public final class Trainer {
    public let parameters: [(key: String, variable: Variable)]
    public let optimizer: AdamW
    public private(set) var state: TrainingState
    /// The parameters' moving average, when `state.averageDecay` asks for one.
    public private(set) var average: WeightAverage?

    public init(parameters: [(key: String, variable: Variable)], state: TrainingState) {
        self.parameters = parameters
        self.state = state
        optimizer = AdamW(parameters, state.optimizer)
        average = state.averageDecay.map { WeightAverage(decay: $0) }
    }

    /// The weights to sample with: each parameter's moving average where one is kept, else its current value.
    public var averagedValues: [String: Tensor] {
        Dictionary(uniqueKeysWithValues: parameters.map { ($0.key, average?.values[$0.key] ?? $0.variable.value) })
    }

    /// One update. `loss` builds the (recorded) scalar loss from this step's random stream; returns its value.
    @discardableResult
    public func step(_ loss: (inout TrainingRandom) -> Variable) -> Float {
        optimizer.zeroGrad()
        var rng = TrainingRandom(seed: state.seed, stream: UInt64(state.step))
        let l = loss(&rng)
        precondition(l.value.count == 1, "Trainer: the loss must be one value, got shape \(l.shape)")
        l.backward()
        if let maxNorm = state.maxGradNorm { clipGradientNorm(parameters.map(\.variable), maxNorm: Float(maxNorm)) }
        optimizer.step(learningRate: state.learningRate)
        optimizer.zeroGrad()
        state.step += 1
        average?.update(parameters, atUpdate: state.step)
        return l.value.scalars[0]
    }

    public func save(to folder: String) throws(TrainingError) {
        try TrainingCheckpoint.save(state, parameters: parameters, optimizer: optimizer, average: average?.values ?? [:],
                                    to: folder)
    }

    /// Restores parameters, optimizer state, the moving average and the step counter from `folder`. The average's
    /// decay stays this trainer's (a checkpoint without one starts averaging from its parameters at the next update).
    public func resume(from folder: String) throws(TrainingError) {
        let decay = state.averageDecay
        let (loaded, values) = try TrainingCheckpoint.load(from: folder, parameters: parameters, optimizer: optimizer)
        state = loaded
        state.averageDecay = decay
        average = decay.map { WeightAverage(decay: $0, values: values) }
    }

    /// Replaces the learning-rate schedule (a run resumed with a new length keeps its step but follows the
    /// schedule of the new length; the checkpoint's schedule ended at the old one).
    public func reschedule(_ schedule: LRSchedule) {
        state.schedule = schedule
    }
}

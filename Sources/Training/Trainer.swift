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
/// run draws what the uninterrupted run would have.
public final class Trainer {
    public let parameters: [(key: String, variable: Variable)]
    public let optimizer: AdamW
    public private(set) var state: TrainingState

    public init(parameters: [(key: String, variable: Variable)], state: TrainingState) {
        self.parameters = parameters
        self.state = state
        optimizer = AdamW(parameters, state.optimizer)
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
        return l.value.scalars[0]
    }

    public func save(to folder: String) throws(TrainingError) {
        try TrainingCheckpoint.save(state, parameters: parameters, optimizer: optimizer, to: folder)
    }

    /// Restores parameters, optimizer state and the step counter from `folder`.
    public func resume(from folder: String) throws(TrainingError) {
        state = try TrainingCheckpoint.load(from: folder, parameters: parameters, optimizer: optimizer)
    }

    /// Replaces the learning-rate schedule (a run resumed with a new length keeps its step but follows the
    /// schedule of the new length; the checkpoint's schedule ended at the old one).
    public func reschedule(_ schedule: LRSchedule) {
        state.schedule = schedule
    }
}

import Foundation

/// What a default-model training run measured, kept beside its checkpoints (`record.json`) so a resumed run adds
/// to it and `MODEL_CARD.md` can report it: loss curves, wall time and steps per stage, the VAE scaling factor.
public struct TrainingRecord: Codable, Sendable {
    public struct Point: Codable, Sendable {
        public var step: Int
        /// Mean loss over the logging window (the VAE's reconstruction MSE in stage a).
        public var loss: Double
        /// Stage a: the window's mean KL per latent element.
        public var extra: Double?
    }

    public struct Stage: Codable, Sendable {
        public var wallSeconds = 0.0
        public var timedSteps = 0
        public var curve: [Point] = []

        public mutating func add(seconds: Double, steps: Int) {
            wallSeconds += seconds
            timedSteps += steps
        }

        /// Closes a logging window of per-step losses ending at `step`: adds its time (since `clock`) and its mean loss
        /// to the stage, empties the window and restarts the clock. Returns the mean and the seconds per step.
        public mutating func close(_ window: inout [Float], at step: Int, clock: inout Date) -> (loss: Float, secondsPerStep: Double) {
            let seconds = Date().timeIntervalSince(clock), count = max(1, window.count)
            add(seconds: seconds, steps: window.count)
            let mean = window.reduce(0, +) / Float(count)
            curve.append(.init(step: step, loss: Double(mean), extra: nil))
            window.removeAll()
            clock = Date()
            return (mean, seconds / Double(count))
        }

        public var secondsPerStep: Double { timedSteps > 0 ? wallSeconds / Double(timedSteps) : 0 }

        /// Mean of the last `points` logged losses.
        public func finalLoss(points: Int = 5) -> Double? {
            let tail = curve.suffix(points)
            return tail.isEmpty ? nil : tail.map(\.loss).reduce(0, +) / Double(tail.count)
        }
    }

    public var vae = Stage()
    public var joint = Stage()
    /// Stage (a′), the decoder on noisy latents; nil in records of runs without it (or from before it existed).
    public var decoder: Stage?
    public var scalingFactor: Double?
    public var exportedAt: String?
    /// The recipe's settings the checkpoints are tied to (`DefaultModelRecipe.layout`: option → value), written when
    /// the run starts; nil in records of runs from before it was kept.
    public var layout: [String: String]?

    public init() {}

    public static func load(_ path: String) -> TrainingRecord {
        guard let data = FileManager.default.contents(atPath: path),
              let record = try? JSONDecoder().decode(TrainingRecord.self, from: data) else { return TrainingRecord() }
        return record
    }

    public func save(_ path: String) throws {
        try JSONEncoder.sorted.encode(self).write(to: URL(fileURLWithPath: path), options: .atomic)
    }
}

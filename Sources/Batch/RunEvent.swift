import Foundation

/// What a run reports as it goes; the command line renders these as bars, timestamped lines or JSON.
public enum RunEvent: Sendable {
    /// Something worth knowing that is not a failure (a clip with bad frames, keys not used, ...).
    case note(String)
    /// A job whose manifest and outputs already exist (resume).
    case jobSkipped(Job)
    case jobStarted(Job)
    case progress(StageProgress)
    case jobFinished(JobOutcome)
}

/// The stages of one job, in order. `read` and `invert` run once per clip.
public enum RunStage: String, Sendable, CaseIterable {
    /// Decode the clip's selected frames.
    case read
    /// Encode prompts (CLIP) and frames (VAE).
    case encode
    /// DDIM inversion with the source caption.
    case invert
    /// Guided denoising with the edit prompt.
    case edit
    /// VAE decoding of the edited latents.
    case decode
    /// Encoding and writing the output files.
    case write
}

public struct StageProgress: Sendable {
    public var job: String
    public var clip: String
    public var stage: RunStage
    /// 1-based step and the stage's step count.
    public var step: Int
    public var total: Int
    /// Seconds the last step took.
    public var secondsPerStep: Double
    /// Mean seconds per step so far in this stage.
    public var meanSecondsPerStep: Double

    /// Seconds left in this stage at the mean rate.
    public var eta: Double { Double(total - step) * meanSecondsPerStep }
}

/// How one job ended.
public struct JobOutcome: Sendable, Equatable {
    public enum Status: String, Sendable {
        case done
        /// Complete from an earlier run.
        case skipped
        case failed
        /// Stopped by Ctrl-C (or never started because of it); nothing partial was written.
        case interrupted
    }

    public var job: String
    public var status: Status
    public var seconds: Double
    /// Files written (or found, when skipped).
    public var outputs: [String]
    public var error: String?
}

/// The outcome of every job of a run, in job order.
public struct RunReport: Sendable {
    public var outcomes: [JobOutcome]
    public var interrupted: Bool

    public var failed: [JobOutcome] { outcomes.filter { $0.status == .failed } }
    public func count(_ status: JobOutcome.Status) -> Int { outcomes.filter { $0.status == status }.count }
}

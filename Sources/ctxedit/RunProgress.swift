import ArgumentParser
import Batch
import Foundation

/// How `ctxedit run` shows progress.
enum ProgressStyle: String, ExpressibleByArgument, CaseIterable {
    /// A bar on a terminal, timestamped lines otherwise.
    case auto
    case bar, plain, json
}

/// Renders run events: a redrawn one-line bar per stage on a terminal (stderr), timestamped lines (stderr) when
/// not a terminal, or one JSON object per line (stdout) for machines. `quiet` keeps only failures.
final class RunProgress {
    let style: ProgressStyle
    let quiet: Bool
    private var barOpen = false
    private var lastPrinted: [String: Date] = [:]

    init(style: ProgressStyle, quiet: Bool) {
        self.style = style == .auto ? (isatty(STDERR_FILENO) != 0 ? .bar : .plain) : style
        self.quiet = quiet
    }

    func handle(_ event: RunEvent) {
        if style == .json { return emitJSON(event) }
        switch event {
        case .note(let text): if !quiet { line("note: \(text)") }
        case .jobSkipped(let job): if !quiet { line("skip \(job.id) (complete from an earlier run)") }
        case .jobStarted(let job): if !quiet { line("start \(job.id): \"\(job.edit.prompt)\"") }
        case .progress(let p): if !quiet { progress(p) }
        case .jobFinished(let o):
            switch o.status {
            case .failed: line("FAILED \(o.job): \(o.error ?? "")")
            case .interrupted: if !quiet { line("interrupted \(o.job)") }
            default: if !quiet { line("\(o.status.rawValue) \(o.job) in \(String(format: "%.1f", o.seconds)) s → \(o.outputs.joined(separator: ", "))") }
            }
        }
    }

    /// A note, warning or error from the command itself: `KIND: TEXT`, or `{"event": KIND, "message": TEXT}`.
    func message(_ text: String, kind: String = "note") {
        if style == .json { return emitObject(["event": kind, "message": text]) }
        line("\(kind): \(text)")
    }

    func progress(_ p: StageProgress) {
        let text = "\(p.job)  \(p.stage.rawValue.padding(toLength: 6, withPad: " ", startingAt: 0))  \(p.step)/\(p.total)"
            + "  \(String(format: "%.2f", p.meanSecondsPerStep)) s/step  ETA \(Self.duration(p.eta))"
        if style == .bar {
            let width = 24, filled = p.total > 0 ? width * p.step / p.total : width
            let bar = "[" + String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled) + "]"
            write("\r\u{1B}[2K\(bar) \(text)")
            barOpen = p.step < p.total
            if !barOpen { write("\n") }
            return
        }
        // Plain lines: the first and last step of a stage, and at most one line every 5 s between.
        let key = "\(p.job)|\(p.stage)"
        let now = Date()
        if p.step == 1 || p.step == p.total || now.timeIntervalSince(lastPrinted[key] ?? .distantPast) >= 5 {
            lastPrinted[key] = now
            line(text)
        }
    }

    /// The end-of-run summary: a table on stdout, or a JSON object.
    func summary(_ report: RunReport, exitCode: Int32, gallery: String?) {
        if style == .json {
            let jobs: [[String: Any]] = report.outcomes.map { o in
                var j: [String: Any] = ["job": o.job, "status": o.status.rawValue, "seconds": o.seconds, "outputs": o.outputs]
                if let e = o.error { j["error"] = e }
                return j
            }
            var object: [String: Any] = ["event": "summary", "exitCode": Int(exitCode), "jobs": jobs]
            for s in [JobOutcome.Status.done, .failed, .skipped, .interrupted] { object[s.rawValue] = report.count(s) }
            if let gallery { object["gallery"] = gallery }
            return emitObject(object)
        }
        closeBar()
        print(report.table())
        if let gallery { print("gallery: \(gallery)") }
        if report.interrupted { print("interrupted: finished jobs are kept; run the same command again to resume.") }
    }

    func line(_ text: String) {
        closeBar()
        write(style == .plain ? "\(Self.clock()) \(text)\n" : "\(text)\n")
    }

    func closeBar() {
        if barOpen { write("\n"); barOpen = false }
    }

    func write(_ text: String) { FileHandle.standardError.write(Data(text.utf8)) }

    func emitJSON(_ event: RunEvent) {
        switch event {
        case .note(let text): emitObject(["event": "note", "message": text])
        case .jobSkipped(let job): emitObject(["event": "job_skipped", "job": job.id])
        case .jobStarted(let job): emitObject(["event": "job_started", "job": job.id, "clip": job.clip.path, "prompt": job.edit.prompt])
        case .progress(let p):
            emitObject(["event": "progress", "job": p.job, "clip": p.clip, "stage": p.stage.rawValue, "step": p.step,
                        "total": p.total, "secondsPerStep": p.secondsPerStep, "eta": p.eta])
        case .jobFinished(let o):
            var object: [String: Any] = ["event": "job_finished", "job": o.job, "status": o.status.rawValue, "seconds": o.seconds, "outputs": o.outputs]
            if let e = o.error { object["error"] = e }
            emitObject(object)
        }
    }

    func emitObject(_ object: [String: Any]) {
        var o = object
        o["time"] = ISO8601DateFormatter().string(from: Date())
        guard let data = try? JSONSerialization.data(withJSONObject: o, options: [.sortedKeys, .withoutEscapingSlashes]) else { return }
        FileHandle.standardOutput.write(data + Data("\n".utf8))
    }

    static func clock() -> String { ISO8601DateFormatter().string(from: Date()) }

    /// `42s`, `3m05s`, `1h02m`.
    static func duration(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        if s < 60 { return "\(s)s" }
        if s < 3600 { return String(format: "%dm%02ds", s / 60, s % 60) }
        return String(format: "%dh%02dm", s / 3600, (s % 3600) / 60)
    }
}

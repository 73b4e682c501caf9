import Foundation

extension RunReport {
    /// The end-of-run table: job, status, seconds, then the output (or the error) of each job.
    public func table() -> String {
        let rows = outcomes.map { o -> [String] in
            let status = o.status == .failed ? "FAILED" : o.status.rawValue
            let detail = o.error.map { $0.replacingOccurrences(of: "\n", with: " ") } ?? o.outputs.first ?? ""
            return [o.job, status, o.status == .skipped ? "-" : String(format: "%.1f", o.seconds), detail]
        }
        let header = ["job", "status", "seconds", "output / error"]
        let widths = (0..<3).map { c in ([header] + rows).map { $0[c].count }.max() ?? 0 }
        func line(_ r: [String]) -> String {
            r[0].padding(toLength: widths[0], withPad: " ", startingAt: 0) + "  "
                + r[1].padding(toLength: widths[1], withPad: " ", startingAt: 0) + "  "
                + String(repeating: " ", count: widths[2] - r[2].count) + r[2] + "  " + r[3]
        }
        return ([header] + rows).map(line).joined(separator: "\n") + "\n" + totals()
    }

    /// `3 done, 1 failed, 2 skipped (already complete), 0 interrupted`.
    public func totals() -> String {
        "\(count(.done)) done, \(count(.failed)) failed, \(count(.skipped)) skipped (already complete), \(count(.interrupted)) interrupted"
    }
}

import Dispatch
import Foundation

/// The cores `parallelChunks` spreads work over, read once: on Linux, Foundation's `activeProcessorCount` reads the
/// cgroup files (`/sys/fs/cgroup/cpu.max`, ...) on every call, and perf put ~7% of a default-model training step in
/// those reads when it was called per parallel loop.
public let parallelCores = ProcessInfo.processInfo.activeProcessorCount

/// Splits `0..<count` into contiguous chunks run on all cores (`DispatchQueue.concurrentPerform`).
/// Work below `minimumPerChunk` items per chunk runs inline: threads only where they pay.
public func parallelChunks(_ count: Int, minimumPerChunk: Int = 1, _ body: (Range<Int>) -> Void) {
    guard count > 0 else { return }
    let chunks = max(1, min(parallelCores * 4, count / max(1, minimumPerChunk)))
    if chunks == 1 { body(0..<count); return }
    let per = (count + chunks - 1) / chunks
    // Chunks write disjoint ranges; the caller guarantees `body` is safe to run concurrently.
    withoutActuallyEscaping(body) { escapable in
        let work = UncheckedSendable(value: escapable)
        DispatchQueue.concurrentPerform(iterations: chunks) { c in
            let lo = c * per, hi = min(count, lo + per)
            if lo < hi { work.value(lo..<hi) }
        }
    }
}

struct UncheckedSendable<T>: @unchecked Sendable {
    let value: T
}

/// A raw pointer that may cross into `parallelChunks` workers that write disjoint ranges.
struct SharedPointer: @unchecked Sendable {
    let base: UnsafeMutablePointer<Float>
}

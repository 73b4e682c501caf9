import Foundation

/// Counts the floating-point operations of every GEMM (2·M·N·K each), for benchmarks' GFLOP/s figures.
public enum FLOPCounter {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var total = 0

    static func add(_ flops: Int) {
        lock.lock()
        total += flops
        lock.unlock()
    }

    /// FLOPs counted since the last `reset()`.
    public static var count: Int {
        lock.lock()
        defer { lock.unlock() }
        return total
    }

    public static func reset() {
        lock.lock()
        total = 0
        lock.unlock()
    }
}

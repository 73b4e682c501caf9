#if canImport(Glibc)
import Glibc
#endif

/// Keeps freed tensor buffers in the process instead of returning them to the kernel.
///
/// glibc serves allocations above 128 KB with fresh `mmap`s and unmaps them on `free`, so every layer's output
/// costs page faults again (measured: about as much system time as compute time in a UNet forward). Raising the
/// mmap and trim thresholds lets glibc reuse the same pages across steps. Call once at start-up (the CLI and the
/// benchmark do). `mallopt` is looked up at run time because Swift's Glibc module does not export <malloc.h>.
public enum Allocator {
    public static func keepFreedMemory() {
        #if canImport(Glibc)
        typealias MallOpt = @convention(c) (Int32, Int32) -> Int32
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "mallopt") else { return }
        let mallopt = unsafeBitCast(symbol, to: MallOpt.self)
        let trimThreshold: Int32 = -1, mmapThreshold: Int32 = -3  // M_TRIM_THRESHOLD, M_MMAP_THRESHOLD
        _ = mallopt(mmapThreshold, 1 << 30)
        _ = mallopt(trimThreshold, Int32.max)
        #endif
    }
}

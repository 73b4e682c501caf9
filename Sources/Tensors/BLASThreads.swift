#if canImport(Glibc)
import Glibc
#endif

/// Stops OpenBLAS's worker threads from spinning between GEMMs.
///
/// After each GEMM an OpenBLAS (pthreads build) worker polls for the next one, calling `sched_yield`, for
/// `2^OPENBLAS_THREAD_TIMEOUT` cycles (default 2^28, about 0.1 s) before it sleeps. Between GEMMs ctxedit runs its
/// own two-thread kernels (attention, norms, Winograd transforms, im2col), and a spinning worker takes turns with
/// them on the same core: perf put ~12% of a UNet forward's samples in `sched_yield`. OpenBLAS reads the variable
/// only while it loads, so this sets it (unless the user has), makes OpenBLAS read its environment again
/// (`openblas_read_env`) and restarts the workers (`blas_thread_shutdown_`; the next GEMM starts them with the new
/// timeout). Measured on UNet b2 32x32 at SD-1.5 size: docs/PERFORMANCE.md. Symbols are looked up at run time, so
/// with another BLAS this does nothing.
public enum BLASThreads {
    /// log₂ of the cycles a worker polls before sleeping (OpenBLAS clamps it to 4…30).
    public static let timeoutExponent = 4

    /// Runs once, before the first GEMM (`Tensor.sgemm` and the training GEMM touch it).
    public static let configured: Void = {
        #if canImport(Glibc)
        guard getenv("OPENBLAS_THREAD_TIMEOUT") == nil,
              let readEnv = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "openblas_read_env"),
              let shutdown = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "blas_thread_shutdown_") else { return }
        setenv("OPENBLAS_THREAD_TIMEOUT", String(timeoutExponent), 0)
        typealias Call = @convention(c) () -> Void
        typealias Shutdown = @convention(c) () -> Int32
        unsafeBitCast(readEnv, to: Call.self)()
        _ = unsafeBitCast(shutdown, to: Shutdown.self)()
        #endif
    }()
}

import CBLAS
import Dispatch
import Foundation
import Synchronization

/// The one threading policy of Phantom.
///
/// **Phantom's workers own the cores; OpenBLAS and oneDNN always run single-threaded.**
/// Kernels split their work into pieces whose boundaries do not depend on the
/// worker count (one image, one fixed block of columns), and hand the pieces to
/// ``forEach(_:_:)``; every GEMM inside a piece is a single-threaded BLAS call.
/// Measured on the 2-core development machine (OpenBLAS 0.3.21): two concurrent single-threaded
/// sgemms reach 185–193 GFLOP/s, as fast as one 2-thread call, and a batch-split
/// 3×3 convolution is 20% faster than per-image 2-thread GEMMs, while nesting
/// threaded BLAS under Dispatch loses 5–20%. Because piece boundaries and the
/// order of every sum are fixed, results are bit-identical for any worker count.
public enum Parallel {
    private static let configuredWorkers = Atomic<Int>(0)
    private static let teams = Mutex<[Int: WorkerTeam]>([:])

    /// The team of `size` workers, started on first use.
    private static func team(of size: Int) -> WorkerTeam {
        teams.withLock { teams in
            if let team = teams[size] { return team }
            let team = WorkerTeam(size: size)
            teams[size] = team
            return team
        }
    }
    @TaskLocal private static var scopedWorkers: Int?

    /// The number of Dispatch workers kernels use (default: the active processor count).
    public static var workerCount: Int {
        if let scopedWorkers { return scopedWorkers }
        let configured = configuredWorkers.load(ordering: .relaxed)
        if configured > 0 { return configured }
        configure(threads: nil)
        return configuredWorkers.load(ordering: .relaxed)
    }

    /// Sets the worker count (nil or 0: all active processors) and pins OpenBLAS to one thread.
    public static func configure(threads: Int?) {
        let count = threads.flatMap { $0 > 0 ? $0 : nil } ?? ProcessInfo.processInfo.activeProcessorCount
        openblas_set_num_threads(1)
        configuredWorkers.store(max(1, count), ordering: .relaxed)
    }

    /// Runs `body` with `count` workers for the kernels it calls from this task, leaving
    /// other tasks (tests running beside it) on the configured count.
    public static func withWorkers<Result>(_ count: Int, _ body: () throws -> Result) rethrows -> Result {
        if configuredWorkers.load(ordering: .relaxed) == 0 { configure(threads: nil) }   // pins OpenBLAS
        return try $scopedWorkers.withValue(max(1, count)) { try body() }
    }

    /// Runs `body(item, worker)` for every item in `0..<count`, spreading items
    /// round-robin over the workers. `worker` is in `0..<workerCount` and is
    /// never used by two items at the same time, so it can index per-worker scratch.
    ///
    /// Passes run on a ``WorkerTeam`` of `workerCount` threads that wait for the next pass
    /// by spinning for a moment, or, while that team is busy (a nested or concurrent call),
    /// on `DispatchQueue.concurrentPerform`; items go to workers alike either way.
    public static func forEach(_ count: Int, _ body: (_ item: Int, _ worker: Int) -> Void) {
        let workers = min(workerCount, count)
        if workers <= 1 {
            for item in 0..<count { body(item, 0) }
            return
        }
        if team(of: workers).run(count, body) { return }
        withoutActuallyEscaping(body) { body in
            nonisolated(unsafe) let body = body
            DispatchQueue.concurrentPerform(iterations: workers) { worker in
                var item = worker
                while item < count {
                    body(item, worker)
                    item += workers
                }
            }
        }
    }
}

import Dispatch
import Synchronization

/// Wall-clock time per kind of layer, for the benchmark's profile table.
///
/// Off by default; when off, ``measure(_:_:)`` costs one atomic load. Times of
/// nested measurements are counted in both kinds (attention contains GEMMs of its own
/// but its GroupNorm and projections are reported under their own kinds too), so
/// the benchmark reports top-level kinds separately from the total.
public enum Profiler {
    /// What a measured piece of work is.
    public enum Kind: Int, CaseIterable, Sendable {
        case convolution, groupNorm, attention, linear, elementwise, optimizer
        public var name: String {
            switch self {
            case .convolution: "conv"
            case .groupNorm: "group norm"
            case .attention: "attention (core)"
            case .linear: "linear / 1x1"
            case .elementwise: "element-wise"
            case .optimizer: "optimizer + EMA"
            }
        }
    }

    private static let enabled = Atomic<Bool>(false)
    private static let nanoseconds = Mutex<[UInt64]>(Array(repeating: 0, count: Kind.allCases.count))
    private static let flops = Atomic<Int>(0)

    /// Turns measuring on or off and clears the totals.
    public static func reset(enabled on: Bool) {
        nanoseconds.withLock { $0 = Array(repeating: 0, count: Kind.allCases.count) }
        flops.store(0, ordering: .relaxed)
        enabled.store(on, ordering: .relaxed)
    }

    /// Floating-point operations of the GEMMs run since the last reset (2·m·n·k each),
    /// counted while profiling is on.
    public static var gemmFlops: Int { flops.load(ordering: .relaxed) }

    /// Adds `count` operations to ``gemmFlops`` when profiling is on: a GEMM's `2·m·n·k`,
    /// or what a fast algorithm (Winograd) stands for in direct-GEMM operations.
    @inline(__always)
    public static func countFlops(_ count: Int) {
        guard enabled.load(ordering: .relaxed) else { return }
        flops.add(count, ordering: .relaxed)
    }

    /// Seconds spent in each kind since the last reset.
    public static var totals: [(kind: Kind, seconds: Double)] {
        let values = nanoseconds.withLock { $0 }
        return Kind.allCases.map { ($0, Double(values[$0.rawValue]) / 1e9) }
    }

    /// Runs `body`, adding its duration to `kind` when profiling is on.
    @inline(__always)
    public static func measure<Result>(_ kind: Kind, _ body: () -> Result) -> Result {
        guard enabled.load(ordering: .relaxed) else { return body() }
        let start = DispatchTime.now().uptimeNanoseconds
        let result = body()
        let elapsed = DispatchTime.now().uptimeNanoseconds - start
        nanoseconds.withLock { $0[kind.rawValue] += elapsed }
        return result
    }
}

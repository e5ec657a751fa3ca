/// The processes of a data-parallel job, seen from one of them: its `rank` among `size`
/// processes, and the collective operations data parallelism needs.
///
/// Every process calls each collective in the same order with the same counts (the
/// operations block until all have called). Training sums gradients with
/// ``allReduceSum(_:count:)``; sampling gathers what each process wrote with
/// ``gather(_:)``. A single process is ``SingleProcess``, where every collective is the
/// identity; `PhantomDistribution` provides the MPI one.
///
/// Determinism: for a fixed `size`, a collective gives the same bits run after run and
/// the same bits on every process (MPI reduces with a commutative sum whose order is
/// fixed by the algorithm the library picks for the size and count, and delivers one
/// result to all).
public protocol ProcessGroup: AnyObject {
    /// This process's index, `0..<size`. Rank 0 writes the job's files.
    var rank: Int { get }
    /// The number of processes.
    var size: Int { get }
    /// Replaces `buffer[0..<count]` on every process by its element-wise sum over all processes.
    func allReduceSum(_ buffer: UnsafeMutablePointer<Float>, count: Int)
    /// The element-wise sum of `values` over all processes (the same length on each).
    func allReduceSum(_ values: [Double]) -> [Double]
    /// Every process's `value`, in rank order.
    func allGather(_ value: UInt64) -> [UInt64]
    /// On rank 0, every process's `bytes` in rank order; elsewhere `[]`.
    func gather(_ bytes: [UInt8]) -> [[UInt8]]
    /// Returns once every process has called it.
    func barrier()
}

extension ProcessGroup {
    /// Whether this process writes the job's files and prints its progress.
    public var isLead: Bool { rank == 0 }

    /// The share of `count` items (`0..<count`, in order) that this process handles: a
    /// contiguous block, the first `count % size` processes one item more.
    public func share(of count: Int) -> Range<Int> {
        let base = count / size, extra = count % size
        let start = rank * base + min(rank, extra)
        return start..<(start + base + (rank < extra ? 1 : 0))
    }

    /// Whether any process passes `true` (a collective: every process must call it).
    public func any(_ flag: Bool) -> Bool {
        size == 1 ? flag : allReduceSum([flag ? 1 : 0])[0] > 0
    }
}

/// A job of one process: every collective returns its input.
public final class SingleProcess: ProcessGroup {
    public init() {}
    public var rank: Int { 0 }
    public var size: Int { 1 }
    public func allReduceSum(_ buffer: UnsafeMutablePointer<Float>, count: Int) {}
    public func allReduceSum(_ values: [Double]) -> [Double] { values }
    public func allGather(_ value: UInt64) -> [UInt64] { [value] }
    public func gather(_ bytes: [UInt8]) -> [[UInt8]] { [bytes] }
    public func barrier() {}
}

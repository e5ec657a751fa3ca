import Dispatch
import Foundation
import Synchronization

/// A fixed team of threads that run ``Parallel/forEach(_:_:)``'s pieces, waiting for
/// the next pass by spinning for a moment before they sleep.
///
/// `DispatchQueue.concurrentPerform` wakes its threads for every pass, and on the 2-core
/// machines of the benchmarks a sleeping thread takes about 25 µs to start: a pass of
/// 2 × 13 µs of work took 41 µs, longer than running it on one thread (26 µs). A network
/// step of the `tiny` preset makes hundreds of passes that short. Team members that have
/// just finished a pass spin on a counter for up to ``spinLimit`` checks (tens of
/// microseconds) and start the next pass within a microsecond (13.2 µs for the same pass);
/// a member that has waited longer sleeps on a semaphore, so an idle process uses no CPU.
/// (Spinning costs where workers outnumber cores, as ranks that each take every core:
/// there they delay the threads they wait for.)
///
/// Worker `w` runs items `w, w + n, w + 2n, …` of a pass, as ``Parallel/forEach(_:_:)``
/// always assigns them, and the caller is worker 0. One pass at a time: ``run(_:_:)``
/// returns false, running nothing, while another pass is in flight (a nested or concurrent
/// call), and the caller runs the pass another way.
final class WorkerTeam: @unchecked Sendable {
    /// The number of workers, the caller included.
    let size: Int
    /// Checks of the pass counter before a waiting member sleeps.
    static let spinLimit = 100_000

    private final class Member: @unchecked Sendable {
        let sleeping = Atomic<Bool>(false)
        let wakeup = DispatchSemaphore(value: 0)
    }
    private let members: [Member]
    private let passes = Atomic<Int>(0)
    private let finished = Atomic<Int>(0)
    private let busy = Atomic<Bool>(false)
    // Written by the caller before `passes` is advanced, read by members after they see it.
    nonisolated(unsafe) private var body: ((Int, Int) -> Void)?
    nonisolated(unsafe) private var count = 0

    /// A team of `size` workers: the caller and `size − 1` threads started now, which live
    /// as long as the process.
    init(size: Int) {
        precondition(size >= 2)
        self.size = size
        members = (0..<size).map { _ in Member() }
        for worker in 1..<size {
            let thread = Thread { [self] in self.serve(as: worker) }
            thread.name = "phantom worker \(worker)"
            thread.start()
        }
    }

    /// Runs `body(item, worker)` for `item` in `0..<count` on the team, or returns false
    /// at once if the team is running another pass.
    func run(_ count: Int, _ body: (_ item: Int, _ worker: Int) -> Void) -> Bool {
        guard busy.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged else { return false }
        defer { busy.store(false, ordering: .releasing) }
        withoutActuallyEscaping(body) { body in
            self.body = body
            self.count = count
            finished.store(0, ordering: .relaxed)
            passes.add(1, ordering: .sequentiallyConsistent)
            for member in members.dropFirst() where member.sleeping.exchange(false, ordering: .sequentiallyConsistent) {
                member.wakeup.signal()
            }
            work(as: 0)
            while finished.load(ordering: .acquiring) < size - 1 {}
            self.body = nil
        }
        return true
    }

    private func work(as worker: Int) {
        guard let body else { return }
        var item = worker
        while item < count {
            body(item, worker)
            item += size
        }
    }

    /// A member's life: wait for a pass, run its items, report, again.
    private func serve(as worker: Int) {
        let member = members[worker]
        var seen = 0
        while true {
            var checks = 0
            while passes.load(ordering: .acquiring) == seen {
                checks += 1
                guard checks > Self.spinLimit else { continue }
                // Sleep, unless a pass began meanwhile; if the caller took the flag, its
                // signal is on the way and must be consumed.
                member.sleeping.store(true, ordering: .sequentiallyConsistent)
                if passes.load(ordering: .sequentiallyConsistent) == seen
                    || !member.sleeping.exchange(false, ordering: .sequentiallyConsistent) {
                    member.wakeup.wait()
                }
                checks = 0
            }
            seen = passes.load(ordering: .acquiring)
            work(as: worker)
            finished.add(1, ordering: .releasing)
        }
    }
}

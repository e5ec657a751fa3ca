import PhantomTensor
import Synchronization
import Testing

@Suite struct ParallelTests {
    @Test func forEachVisitsEveryItemOnceWithValidWorkers() {
        let visits = Tensor(zeros: [101])
        let workersSeen = Mutex<Set<Int>>([])
        nonisolated(unsafe) let counts = visits.data
        Parallel.withWorkers(2) {
            Parallel.forEach(101) { item, worker in
                counts[item] += 1
                workersSeen.withLock { _ = $0.insert(worker) }
            }
        }
        #expect(visits.values.allSatisfy { $0 == 1 })
        #expect(workersSeen.withLock { $0.isSubset(of: [0, 1]) })
    }

    /// Only scoped: a global change would race with the tests running beside this one.
    @Test func withWorkersSetsTheCountForItsScopeOnly() {
        let outside = Parallel.workerCount
        Parallel.withWorkers(3) {
            #expect(Parallel.workerCount == 3)
            Parallel.withWorkers(1) { #expect(Parallel.workerCount == 1) }
            #expect(Parallel.workerCount == 3)
        }
        #expect(Parallel.workerCount == outside)
    }

    /// Items go to workers round-robin (item `i` to worker `i mod n`) whether a pass runs on
    /// the worker team or, when the team is busy (nested passes here, passes of other tests
    /// beside this one), on Dispatch; every item runs once, over many passes in a row.
    /// (A nested pass on another thread than the caller's sees the process's worker count,
    /// not `withWorkers`'s, which is scoped to the calling task: so only its workers' range
    /// is checked.)
    @Test func passesNestedAndRepeatedKeepTheirAssignment() {
        let outer = 6, inner = 5, rounds = 200
        let slots = Tensor(zeros: [rounds * outer * inner])
        nonisolated(unsafe) let marks = slots.data
        let misplaced = Atomic<Int>(0)
        Parallel.withWorkers(3) {
            for round in 0..<rounds {
                Parallel.forEach(outer) { item, worker in
                    if worker != item % 3 { misplaced.add(1, ordering: .relaxed) }
                    Parallel.forEach(inner) { nested, nestedWorker in
                        if nestedWorker >= Swift.max(3, Parallel.workerCount) { misplaced.add(1, ordering: .relaxed) }
                        marks[(round * outer + item) * inner + nested] += 1
                    }
                }
            }
        }
        #expect(misplaced.load(ordering: .relaxed) == 0)
        #expect(slots.values.allSatisfy { $0 == 1 })
    }
}

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
}

import PhantomTensor
import Synchronization
import Testing

@Suite struct ParallelTests {
    @Test func forEachVisitsEveryItemOnceWithValidWorkers() {
        Parallel.configure(threads: 2)
        defer { Parallel.configure(threads: nil) }
        let visits = Tensor(zeros: [101])
        let workersSeen = Mutex<Set<Int>>([])
        nonisolated(unsafe) let counts = visits.data
        Parallel.forEach(101) { item, worker in
            counts[item] += 1
            workersSeen.withLock { _ = $0.insert(worker) }
        }
        #expect(visits.values.allSatisfy { $0 == 1 })
        #expect(workersSeen.withLock { $0.isSubset(of: [0, 1]) })
    }

    @Test func configureSetsWorkerCount() {
        Parallel.configure(threads: 3)
        #expect(Parallel.workerCount == 3)
        Parallel.configure(threads: nil)
        #expect(Parallel.workerCount >= 1)
    }
}

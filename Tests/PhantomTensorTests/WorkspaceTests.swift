import PhantomTensor
import Testing

/// Scratch is lent by the model's pool for one scope: a slot asked for again in the scope
/// is the same buffer, nested scopes never share one, and everything goes back when the
/// scope ends, so the next layer's scratch and activations can take that memory.
@Suite struct WorkspaceTests {
    @Test func scratchLivesForItsScope() {
        let workspace = Workspace()
        let pool = workspace.pool
        workspace.withScratch {
            let shared = workspace.shared(slot: 0, count: 100)
            #expect(workspace.shared(slot: 0, count: 80) == shared)   // the same slot, no larger
            #expect(workspace.shared(slot: 1, count: 100) != shared)
            let workers = workspace.perWorker(slots: 2, counts: [10, 20])
            #expect(workers[0, 0] != workers[0, 1])
            workspace.withScratch {
                #expect(workspace.shared(slot: 0, count: 100) != shared)   // an inner scope's own
            }
            #expect(pool.lentBytes >= (100 + 100 + 10 + 20) * 4)
        }
        #expect(pool.lentBytes == 0)
        // A slot asked for with more floats than it has gets a larger buffer.
        workspace.withScratch {
            let small = workspace.shared(slot: 0, count: 16)
            small.update(repeating: 1, count: 16)
            let large = workspace.shared(slot: 0, count: 4096)
            large.update(repeating: 2, count: 4096)
            #expect(small != large)
        }
        #expect(pool.lentBytes == 0)
    }

    /// Activations taken between scopes find the memory scratch gave back: the pool's
    /// arena does not grow for them.
    @Test func scratchMemoryServesLaterTensors() {
        let workspace = Workspace()
        workspace.withScratch { _ = workspace.shared(slot: 0, count: 1 << 16) }
        let before = workspace.pool.allocatedBytes
        let activation = workspace.pool.take([1 << 16])
        #expect(workspace.pool.allocatedBytes == before)
        workspace.pool.give(activation)
    }
}

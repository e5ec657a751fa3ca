import PhantomTensor
import Testing

/// The pool's arena: regions are reused, merge when given back, and never overlap while lent.
@Suite struct TensorPoolTests {
    @Test func regionsGivenBackMergeForALargerTensor() {
        let pool = TensorPool()
        let a = pool.take([1000]), b = pool.take([1000]), c = pool.take([10])
        #expect(pool.allocatedBytes == (1008 + 1008 + 16) * 4)   // sizes round up to 16 floats
        pool.give(a)
        pool.give(b)
        // a and b were neighbours: one free region of 2016 floats now holds a tensor of 2000.
        let d = pool.take([2, 1000])
        #expect(d.data == a.data)
        #expect(pool.allocatedBytes == (1008 + 1008 + 16) * 4)
        #expect(pool.peakLentBytes == (1008 + 1008 + 16) * 4 && pool.lentBytes == (2000 + 16) * 4)
        pool.give(c)
        pool.give(d)
        #expect(pool.lentBytes == 0)
    }

    @Test func lentTensorsNeverOverlapAndStepsAllocateNothingOnceSized() {
        let pool = TensorPool()
        let sizes = [[3, 700], [50], [2, 2, 400], [9000], [1], [64, 64]]
        func step() -> [Tensor] {
            var kept: [Tensor] = []
            for (index, shape) in sizes.enumerated() {
                let tensor = pool.take(shape)
                tensor.data.update(repeating: Float(index), count: tensor.count)
                // Every other tensor lives to the end of the step, the rest only until the next take.
                if index % 2 == 0 { kept.append(tensor) } else { pool.give(tensor) }
            }
            return kept
        }
        let first = step()
        for (index, tensor) in first.enumerated() {
            #expect(tensor.values.allSatisfy { $0 == Float(2 * index) })   // not overwritten by a later take
        }
        first.forEach(pool.give)
        let sized = pool.allocatedBytes
        for _ in 0..<3 { step().forEach(pool.give) }
        #expect(pool.allocatedBytes == sized)
        // A tensor the pool did not lend is left alone.
        pool.give(Tensor(zeros: [4]))
        #expect(pool.lentBytes == 0)
    }

    @Test func largeTensorsReadAsZero() {
        let tensor = Tensor(zeros: [Tensor.mappingThreshold / 4 + 5])   // from the kernel's pages
        #expect(tensor.values.allSatisfy { $0 == 0 })
        tensor.data[tensor.count - 1] = 3
        #expect(tensor.values.last == 3)
    }
}

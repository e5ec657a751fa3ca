import PhantomTensor
import Testing

@Suite struct TensorTests {
    /// `itemValues` splits the first axis: `[2, 1, 2, 2]` gives two arrays of four.
    @Test func itemValuesSplitTheFirstAxis() {
        let tensor = Tensor(shape: [2, 1, 2, 2], values: (0..<8).map(Float.init))
        #expect(tensor.itemValues == [[0, 1, 2, 3], [4, 5, 6, 7]])
        #expect(Tensor(zeros: [0, 3]).itemValues.isEmpty)
    }
}

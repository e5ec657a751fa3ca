import PhantomTensor

/// A lookup table of learned vectors (`torch.nn.Embedding`): row `i` of `weight`
/// `[count, dimension]` for index `i`. The U-Net adds the class embedding to the
/// time embedding.
public final class Embedding: Module {
    public let count: Int, dimension: Int
    public let weight: Parameter
    private var indices: [Int] = []
    private var output: Tensor?

    public init(count: Int, dimension: Int) {
        self.count = count
        self.dimension = dimension
        weight = Parameter(shape: [count, dimension])
    }

    public func visitParameters(prefix: String, _ visit: (String, Parameter) -> Void) {
        visit(join(prefix, "weight"), weight)
    }

    /// Rows for `indices` (each in `0..<count`), as `[indices.count, dimension]`.
    public func forward(_ indices: [Int]) -> Tensor {
        precondition(indices.allSatisfy { (0..<count).contains($0) }, "embedding index out of range")
        self.indices = indices
        let y = Tensor.reusing(output, shape: [indices.count, dimension])
        output = y
        for (row, index) in indices.enumerated() {
            (y.data + row * dimension).update(from: weight.value.data + index * dimension, count: dimension)
        }
        return y
    }

    /// Adds each row of `dL/dy` to the gradient of the row it was read from (in order; with
    /// ``Parameter/exampleGradients``, in the row's example's gradient).
    public func backward(_ dy: Tensor) {
        let perExample = weight.exampleGradients
        for (row, index) in indices.enumerated() {
            let gradient = perExample?.row(position: row) ?? weight.gradient.data
            let source = dy.data + row * dimension, target = gradient + index * dimension
            for j in 0..<dimension { target[j] += source[j] }
        }
    }
}

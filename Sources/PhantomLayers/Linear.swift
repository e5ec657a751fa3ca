import PhantomTensor

/// A fully connected layer `y = x·Wᵀ + b` on rows of `x` `[N, in]`, as `torch.nn.Linear`
/// (`weight` `[out, in]`, `bias` `[out]`). Used for the small per-sample vectors of
/// the time embedding; one single-threaded GEMM per pass.
public final class Linear: Module {
    public let inFeatures: Int, outFeatures: Int
    public let weight: Parameter
    public let bias: Parameter

    private var input: Tensor?
    private var output: Tensor?
    private var inputGradient: Tensor?

    public init(inFeatures: Int, outFeatures: Int) {
        self.inFeatures = inFeatures
        self.outFeatures = outFeatures
        weight = Parameter(shape: [outFeatures, inFeatures])
        bias = Parameter(shape: [outFeatures])
    }

    public func visitParameters(prefix: String, _ visit: (String, Parameter) -> Void) {
        visit(join(prefix, "weight"), weight)
        visit(join(prefix, "bias"), bias)
    }

    private func computeForward(_ x: Tensor) -> Tensor {
        precondition(x.shape.count == 2 && x.shape[1] == inFeatures, "Linear input \(x.shape)")
        let rows = x.shape[0]
        let y = Tensor.reusing(output, shape: [rows, outFeatures])
        output = y
        input = x
        // One product per row, so a row's result never depends on the other rows
        // (sampling gives the same image whatever the batch size).
        for row in 0..<rows {
            (y.data + row * outFeatures).update(from: bias.value.data, count: outFeatures)
            gemm(transposeB: true, m: 1, n: outFeatures, k: inFeatures, a: x.data + row * inFeatures, lda: inFeatures,
                 b: weight.value.data, ldb: inFeatures, beta: 1, c: y.data + row * outFeatures, ldc: outFeatures)
        }
        return y
    }

    private func computeBackward(_ dy: Tensor) -> Tensor {
        guard let x = input else { preconditionFailure("Linear.backward before forward") }
        let rows = x.shape[0]
        let dx = Tensor.reusing(inputGradient, shape: x.shape)
        inputGradient = dx
        for row in 0..<rows {
            gemm(m: 1, n: inFeatures, k: outFeatures, a: dy.data + row * outFeatures, lda: outFeatures,
                 b: weight.value.data, ldb: inFeatures, c: dx.data + row * inFeatures, ldc: inFeatures)
        }
        if let weightRows = weight.exampleGradients, let biasRows = bias.exampleGradients {
            // Row n's own dW = dy_nᵀ·x_n (an outer product) and db = dy_n, added to its example's rows.
            for row in 0..<rows {
                let line = dy.data + row * outFeatures
                gemm(transposeA: true, m: outFeatures, n: inFeatures, k: 1, a: line, lda: outFeatures,
                     b: x.data + row * inFeatures, ldb: inFeatures, beta: 1, c: weightRows.row(position: row),
                     ldc: inFeatures)
                let db = biasRows.row(position: row)
                for j in 0..<outFeatures { db[j] += line[j] }
            }
            return dx
        }
        gemm(transposeA: true, m: outFeatures, n: inFeatures, k: rows, a: dy.data, lda: outFeatures,
             b: x.data, ldb: inFeatures, beta: 1, c: weight.gradient.data, ldc: inFeatures)
        let db = bias.gradient.data
        for row in 0..<rows {
            let line = dy.data + row * outFeatures
            for j in 0..<outFeatures { db[j] += line[j] }
        }
        return dx
    }
}

extension Linear {
    /// `x` `[N, in]` → `[N, out]`.
    public func forward(_ x: Tensor) -> Tensor {
        Profiler.measure(.linear) { computeForward(x) }
    }
    /// Given `dL/dy` `[N, out]`, accumulates `dL/dW = dyᵀ·x` and `dL/db` and returns `dL/dx`.
    public func backward(_ dy: Tensor) -> Tensor {
        Profiler.measure(.linear) { computeBackward(dy) }
    }
}

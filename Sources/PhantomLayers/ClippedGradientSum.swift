import PhantomTensor

/// The sum of per-example gradients, each clipped to an L2 norm, kept beside the parameters'
/// own gradients: the accumulator of DP-SGD (Abadi et al. 2016, Algorithm 1).
///
/// For each batch of examples the caller calls ``beginExamples(_:positionsPerExample:)``, runs
/// the batch forward and back — the backward pass puts each example's gradient gᵢ in its own
/// row (``ExampleGradients``) — and calls ``addExamples(maxNorm:)``, which adds
///
///     gᵢ · min(1, C / (‖gᵢ‖ + 10⁻⁶))
///
/// to the sum (Opacus's clipping factor). After the last batch, ``writeNoisyMean(noiseStandardDeviation:divisor:noise:)``
/// puts (Σ clipped gᵢ + N(0, s²)) / divisor into the parameters' gradients for the optimizer.
///
/// Every pass is element-wise over fixed chunks, in example order, so the result does not
/// depend on the worker count. Memory: one extra copy of the parameters, and one per example
/// of the largest batch.
public final class ClippedGradientSum {
    public let parameters: [Parameter]
    private let sums: [Tensor]
    private let chunks: [ElementChunk]
    private var exampleRows: [ExampleGradients] = []
    private lazy var reduction = TensorAllReduce(sums)

    public init(parameters: [Parameter]) {
        self.parameters = parameters
        sums = parameters.map { Tensor(zeros: $0.gradient.shape) }
        chunks = ElementChunk.split(parameters.map(\.gradient.count))
    }

    /// Empties the sum.
    public func reset() {
        for sum in sums { sum.zero() }
    }

    /// Makes the next backward pass keep the gradients of `examples` examples apart, each made of
    /// `positionsPerExample` consecutive batch positions, in zeroed rows.
    public func beginExamples(_ examples: Int, positionsPerExample: Int) {
        if (exampleRows.first?.capacity ?? 0) < examples {
            exampleRows = parameters.map { ExampleGradients(capacity: examples, count: $0.gradient.count) }
        }
        for (parameter, rows) in zip(parameters, exampleRows) {
            rows.begin(examples: examples, positionsPerExample: positionsPerExample)
            parameter.exampleGradients = rows
        }
    }

    /// Adds each example's gradient of the last backward pass, clipped to norm `maxNorm`, to the
    /// sum, hands the parameters back to summed gradients, and returns the norms before clipping
    /// in example order. An example with a non-finite norm adds nothing (the caller decides what
    /// to do).
    public func addExamples(maxNorm: Double) -> [Double] {
        guard let examples = exampleRows.first?.examples else { return [] }
        for parameter in parameters { parameter.exampleGradients = nil }
        // ‖gᵢ‖²: per (chunk, example) in Double, then chunk by chunk in order.
        var partials = [Double](repeating: 0, count: chunks.count * examples)
        partials.withUnsafeMutableBufferPointer { partials in
            Parallel.forEach(chunks.count * examples) { item, _ in
                let chunk = chunks[item / examples], example = item % examples
                let rows = exampleRows[chunk.tensor]
                partials[item] = squaredSum(rows.rows.data + example * rows.count, chunk.range)
            }
        }
        let norms = (0..<examples).map { example in
            stride(from: example, to: partials.count, by: examples).reduce(0) { $0 + partials[$1] }.squareRoot()
        }
        let scales = norms.map { $0.isFinite ? Float(min(1, maxNorm / ($0 + 1e-6))) : 0 }
        Parallel.forEach(chunks.count) { index, _ in
            let chunk = chunks[index]
            let rows = exampleRows[chunk.tensor], s = sums[chunk.tensor].data
            for (example, scale) in scales.enumerated() where scale != 0 {
                let g = rows.rows.data + example * rows.count
                for i in chunk.range { s[i] += scale * g[i] }
            }
        }
        return norms
    }

    /// Replaces the sum, on every process, by its sum over the group's processes (data-parallel
    /// DP-SGD: each process clips its own examples).
    public func sum(over group: ProcessGroup) {
        reduction.sum(over: group)
    }

    /// Writes `(sum + s·z) / divisor` into the parameters' gradients, where z is standard normal
    /// noise that `noise(p, buffer, count)` writes for parameter `p` (`count` = its gradient's
    /// element count; a keyed stream, so the noise is a function of the caller's key, not of the
    /// worker count).
    /// With s = 0 no noise is drawn.
    public func writeNoisyMean(noiseStandardDeviation s: Double, divisor: Double,
                               noise: (_ parameter: Int, _ buffer: UnsafeMutablePointer<Float>, _ count: Int) -> Void) {
        if s > 0 {
            Parallel.forEach(parameters.count) { index, _ in noise(index, parameters[index].gradient.data, parameters[index].gradient.count) }
        }
        let noiseScale = Float(s), inverse = Float(1 / divisor), withNoise = s > 0
        Parallel.forEach(chunks.count) { index, _ in
            let chunk = chunks[index]
            let g = parameters[chunk.tensor].gradient.data, sum = sums[chunk.tensor].data
            if withNoise {
                for i in chunk.range { g[i] = (sum[i] + noiseScale * g[i]) * inverse }
            } else {
                for i in chunk.range { g[i] = sum[i] * inverse }
            }
        }
    }
}

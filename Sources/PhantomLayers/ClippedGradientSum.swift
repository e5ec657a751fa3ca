import PhantomTensor

/// The sum of per-example gradients, each clipped to an L2 norm, kept beside the parameters'
/// own gradients: the accumulator of DP-SGD (Abadi et al. 2016, Algorithm 1).
///
/// The caller computes one example's gradient into the parameters' `gradient` tensors (a
/// backward pass over that example alone), then calls ``add(maxNorm:)``, which adds
///
///     gᵢ · min(1, C / (‖gᵢ‖ + 10⁻⁶))
///
/// to the sum (Opacus's clipping factor). After the last example, ``writeNoisyMean(noiseStandardDeviation:divisor:noise:)``
/// puts (Σ clipped gᵢ + N(0, s²)) / divisor into the parameters' gradients for the optimizer.
///
/// Every pass is element-wise over fixed chunks, so the result does not depend on the worker
/// count. Memory: one extra copy of the parameters.
public final class ClippedGradientSum {
    public let parameters: [Parameter]
    private let sums: [Tensor]
    private let chunks: [ElementChunk]
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

    /// Adds the parameters' current gradient, clipped to norm `maxNorm`, to the sum; returns its
    /// norm before clipping. A non-finite norm adds nothing (the caller decides what to do).
    @discardableResult
    public func add(maxNorm: Double) -> Double {
        let norm = gradientNorm(parameters)
        guard norm.isFinite else { return norm }
        let scale = Float(min(1, maxNorm / (norm + 1e-6)))
        Parallel.forEach(chunks.count) { index, _ in
            let chunk = chunks[index]
            let g = parameters[chunk.tensor].gradient.data, s = sums[chunk.tensor].data
            for i in chunk.range { s[i] += scale * g[i] }
        }
        return norm
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

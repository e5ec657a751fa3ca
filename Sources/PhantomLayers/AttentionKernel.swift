import PhantomTensor

/// Softmax attention of one head over one image, a query row at a time, with every
/// operand in cache: `O = V · softmax(scale · QᵀK)ᵀ` and its backward pass.
///
/// `q`, `k`, `v`, `o` and their gradients are `d × tokens` (a head's channels, tokens
/// contiguous). The softmax weights are never stored: forward keeps each row's maximum
/// and reciprocal sum, and backward recomputes the row from them, bit for bit.
/// Sums over tokens are ``LaneSums``.
struct AttentionKernel {
    let tokens: Int, depth: Int
    let scale: Float

    /// Floats of scratch one ``forward(q:k:v:o:statistics:scratch:)`` call needs: the
    /// softmax weights of every query.
    var forwardScratchCount: Int { tokens * tokens }
    /// Floats of scratch one ``backward(q:k:v:outputGradient:statistics:dq:dk:dv:scratch:)`` call needs.
    var backwardScratchCount: Int { 2 * tokens }

    /// `o = v · pᵀ` for `p = softmax(scale · qᵀk)`; writes each query's row maximum and
    /// reciprocal sum to `statistics[2i]`, `statistics[2i + 1]`.
    ///
    /// The weights of all queries are made first, then `o` is one product (`d × tokens ×
    /// tokens`): with a head's few channels, `d` dot products per query spent more on
    /// their loops and final sums than on the multiply-adds.
    func forward(q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>,
                 o: UnsafeMutablePointer<Float>, statistics: UnsafeMutablePointer<Float>,
                 scratch: UnsafeMutablePointer<Float>) {
        let weights = scratch
        for query in 0..<tokens {
            let (largest, inverse) = softmaxRow(query, q: q, k: k, into: weights + query * tokens)
            statistics[2 * query] = largest
            statistics[2 * query + 1] = inverse
        }
        // O[c, i] = Σ_j V[c, j] P[i, j]
        gemm(transposeB: true, m: depth, n: tokens, k: tokens, a: v, lda: tokens, b: weights, ldb: tokens,
             c: o, ldc: tokens, countsFlops: false)
    }

    /// Adds `dL/dk` and `dL/dv` into `dk`, `dv` and writes `dL/dq` to `dq`, given
    /// `outputGradient` = `dL/do` and the forward's `statistics`.
    func backward(q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>,
                  outputGradient: UnsafePointer<Float>, statistics: UnsafePointer<Float>,
                  dq: UnsafeMutablePointer<Float>, dk: UnsafeMutablePointer<Float>, dv: UnsafeMutablePointer<Float>,
                  scratch: UnsafeMutablePointer<Float>) {
        let weights = scratch, gradient = scratch + tokens
        let count = tokens
        for query in 0..<tokens {
            weightsRow(query, q: q, k: k, largest: statistics[2 * query], inverse: statistics[2 * query + 1],
                       into: weights)
            // dP_j = Σ_c dO[c, i] V[c, j];  dV[c, j] += P_j dO[c, i]
            gradient.update(repeating: 0, count: count)
            for channel in 0..<depth {
                let g = outputGradient[channel * count + query]
                let vRow = v + channel * count, dvRow = dv + channel * count
                for j in 0..<count {
                    gradient[j] += g * vRow[j]
                    dvRow[j] += weights[j] * g
                }
            }
            // dS = P ⊙ (dP − Σ_j P_j dP_j), scaled for Q and K.
            let mean = dot(weights, gradient)
            for j in 0..<count { gradient[j] = scale * (weights[j] * (gradient[j] - mean)) }
            // dQ[c, i] = Σ_j dS_j K[c, j];  dK[c, j] += dS_j Q[c, i]
            for channel in 0..<depth {
                let kRow = k + channel * count, dkRow = dk + channel * count
                dq[channel * count + query] = dot(gradient, kRow)
                let x = q[channel * count + query]
                for j in 0..<count { dkRow[j] += gradient[j] * x }
            }
        }
    }

    /// Softmax weights of query `query` into `weights`; returns the row maximum and the
    /// reciprocal of the sum of exponentials.
    @inline(__always)
    private func softmaxRow(_ query: Int, q: UnsafePointer<Float>, k: UnsafePointer<Float>,
                            into weights: UnsafeMutablePointer<Float>) -> (Float, Float) {
        scores(query, q: q, k: k, into: weights)
        let largest = maximum(weights, count: tokens)
        exponentiate(weights, count: tokens, minus: largest)
        let inverse = 1 / LaneSums.sum(weights, count: tokens)
        for j in 0..<tokens { weights[j] *= inverse }
        return (largest, inverse)
    }

    /// The weights of ``softmaxRow`` again, from the statistics it returned.
    @inline(__always)
    private func weightsRow(_ query: Int, q: UnsafePointer<Float>, k: UnsafePointer<Float>,
                            largest: Float, inverse: Float, into weights: UnsafeMutablePointer<Float>) {
        scores(query, q: q, k: k, into: weights)
        exponentiate(weights, count: tokens, minus: largest, times: inverse)
    }

    /// `scale · Σ_c q[c, i] k[c, j]` for every key token `j`, summed over channels in order;
    /// 16 keys at a time in a register across the channels.
    @inline(__always)
    private func scores(_ query: Int, q: UnsafePointer<Float>, k: UnsafePointer<Float>,
                        into row: UnsafeMutablePointer<Float>) {
        let count = tokens
        var j = 0
        while j + 16 <= count {
            var sums = SIMD16<Float>()
            for channel in 0..<depth {
                let x = scale * q[channel * count + query]
                sums += x * UnsafeRawPointer(k + channel * count + j).loadUnaligned(as: SIMD16<Float>.self)
            }
            UnsafeMutableRawPointer(row + j).storeBytes(of: sums, as: SIMD16<Float>.self)
            j += 16
        }
        while j < count {
            var sum: Float = 0
            for channel in 0..<depth { sum += scale * q[channel * count + query] * k[channel * count + j] }
            row[j] = sum
            j += 1
        }
    }

    @inline(__always)
    private func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>) -> Float {
        LaneSums.dot(a, b, count: tokens)
    }
}

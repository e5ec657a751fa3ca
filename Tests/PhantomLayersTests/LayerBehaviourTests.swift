import Foundation
@testable import PhantomLayers
import PhantomTensor
import PhantomTestSupport
import Testing

/// Forward behaviour that finite differences cannot see.
@Suite struct LayerBehaviourTests {
    @Test func groupNormNormalisesEachGroup() {
        let norm = GroupNorm(groups: 2, channels: 4)
        let x = GradientCheck.random([1, 4, 5, 5], seed: 1, scale: 3)
        for i in 0..<x.count { x.data[i] += 7 }
        let y = norm.forward(x, into: Tensor(zeros: x.shape)).values
        for group in 0..<2 {
            let slice = y[(group * 50)..<(group * 50 + 50)].map(Double.init)
            let mean = slice.reduce(0, +) / 50
            let variance = slice.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / 50
            #expect(abs(mean) < 1e-5)
            #expect(abs(variance - 1) < 1e-3)
        }
    }

    @Test func groupNormSiLUEqualsSiLUOfGroupNormAndRecomputesExactly() {
        let fused = GroupNorm(groups: 2, channels: 4, appliesSiLU: true), plain = GroupNorm(groups: 2, channels: 4)
        let x = GradientCheck.random([2, 4, 3, 5], seed: 3, scale: 2)
        let y = fused.forward(x, into: Tensor(zeros: x.shape))
        let expected = SiLU().forward(plain.forward(x, into: Tensor(zeros: x.shape)))
        #expect(y.values == expected.values)
        let again = Tensor(zeros: x.shape)
        fused.recompute(into: again)
        #expect(again.values == y.values)
    }

    @Test func sinusoidalEmbeddingMatchesDiffusersFormula() {
        for flip in [false, true] {
            let embedding = SinusoidalEmbedding(dimension: 8, flipSinToCos: flip, frequencyShift: 1)
            let out = Tensor(zeros: [2, 8])
            embedding.embed([0, 37], into: out)
            for i in 0..<4 {
                let frequency = exp(-log(10_000.0) * Double(i) / (4 - 1))
                let (sinIndex, cosIndex) = flip ? (4 + i, i) : (i, 4 + i)
                #expect(out.data[sinIndex] == 0 && out.data[cosIndex] == 1)
                #expect(abs(Double(out.data[8 + sinIndex]) - sin(37 * frequency)) < 1e-5)
                #expect(abs(Double(out.data[8 + cosIndex]) - cos(37 * frequency)) < 1e-5)
            }
        }
    }

    @Test func dropoutIsInvertedAndKeyedByStream() {
        let pool = TensorPool()
        let dropout = Dropout(probability: 0.25, pool: pool)
        let x = Tensor(shape: [2, 1, 100, 100], values: [Float](repeating: 1, count: 20_000))
        let streams = [RandomStream(seed: 5, 1, 0, 0), RandomStream(seed: 5, 1, 0, 1)]
        let y = dropout.forward(x, streams: streams).values
        let kept = y.filter { $0 != 0 }
        #expect(kept.allSatisfy { abs($0 - 1 / 0.75) < 1e-6 })
        #expect(abs(Double(kept.count) / 20_000 - 0.75) < 0.02)
        // The second image's mask depends only on its own stream.
        let alone = dropout.forward(Tensor(shape: [1, 1, 100, 100], values: [Float](repeating: 1, count: 10_000)),
                                    streams: [streams[1]]).values
        #expect(alone == Array(y[10_000...]))
        // Backward applies the same mask; evaluation is the identity.
        let again = dropout.forward(x, streams: streams)
        let dx = dropout.backward(x)
        #expect(dx.values == again.values)
        #expect(dropout.forward(x, streams: nil) === x)
        // Its buffers come from the pool: once given back, a step allocates nothing more.
        pool.give(again)
        pool.give(dx)
        let sized = pool.allocatedBytes
        for _ in 0..<3 {
            let y = dropout.forward(x, streams: streams)
            let dy = dropout.backward(y)
            pool.give(y)
            pool.give(dy)
        }
        #expect(pool.allocatedBytes == sized)
    }

    @Test func channelConcatJoinsAndSplits() {
        let concat = ChannelConcat()
        let a = GradientCheck.random([2, 1, 2, 2], seed: 3), b = GradientCheck.random([2, 2, 2, 2], seed: 4)
        let y = concat.forward(a, b)
        #expect(y.shape == [2, 3, 2, 2])
        #expect(Array(y.values[0..<4]) == Array(a.values[0..<4]))
        #expect(Array(y.values[4..<12]) == Array(b.values[0..<8]))
        #expect(Array(y.values[12..<16]) == Array(a.values[4..<8]))
        let (da, db) = concat.backward(y)
        #expect(da.values == a.values && db.values == b.values)
    }

    @Test func attentionIsBitIdenticalForAnyThreadCount() {
        var runs: [[Float]] = []
        for threads in [1, 2, 3] {
            Parallel.withWorkers(threads) {
                let attention = SelfAttention(channels: 8, heads: 2, groups: 4, epsilon: 1e-5, rescale: 1)
                for (i, entry) in attention.namedParameters.enumerated() {
                    entry.parameter.value.copy(from: GradientCheck.random(entry.parameter.shape, seed: UInt64(i), scale: 0.3))
                }
                let x = GradientCheck.random([3, 8, 4, 4], seed: 50)
                let y = attention.forward(x).values
                let dx = attention.backward(GradientCheck.random(x.shape, seed: 51)).values
                runs.append(y + dx + attention.namedParameters.flatMap { $0.parameter.gradient.values })
            }
        }
        #expect(runs[0] == runs[1] && runs[1] == runs[2])
    }
}

@Suite struct FastExpTests {
    @Test func fastExpMatchesTheLibraryToAFewUlps() {
        var worst: Double = 0
        var x: Float = -87
        while x < 88 {
            let exact = Foundation.exp(Double(x))
            worst = max(worst, abs(Double(fastExp(x)) - exact) / exact)
            x += 0.0137
        }
        #expect(worst < 5e-7, "worst relative error \(worst)")
        #expect(fastExp(-200) >= 0 && fastExp(-200) < 1e-37)
        #expect(fastExp(200).isFinite)
    }

    /// The row helpers (16 values at a time, then a scalar tail) equal the element-wise
    /// expressions bit for bit (attention's backward recomputes forward's weights and
    /// relies on it).
    @Test func rowHelpersEqualTheElementwiseExpressionsBitForBit() {
        var values: [Float] = [-200, -87.3, -87.29, -0.0, 0, 1e-30, 0.5, 88.29, 88.3, 200]
        var x: Float = -90
        while x < 90 { values.append(x); x += 0.0173 }
        while values.count % 16 != 5 { values.append(Float(values.count) * 0.01) }  // a tail past the last full 16
        var row = values
        row.withUnsafeMutableBufferPointer { exponentiate($0.baseAddress!, count: $0.count, minus: 1.5, times: 0.25) }
        #expect(zip(row, values).allSatisfy { $0.bitPattern == (fastExp($1 - 1.5) * 0.25).bitPattern })
        #expect(values.withUnsafeBufferPointer { maximum($0.baseAddress!, count: $0.count) } == values.max())
        #expect([Float(-3), -1, -2].withUnsafeBufferPointer { maximum($0.baseAddress!, count: 3) } == -1)
        var activated = [Float](repeating: 0, count: values.count)
        activated.withUnsafeMutableBufferPointer { out in
            values.withUnsafeBufferPointer { affineSiLU($0.baseAddress!, scale: 0.7, shift: -0.2, into: out.baseAddress!, count: $0.count) }
        }
        #expect(zip(activated, values).allSatisfy { out, x in
            let v = x * 0.7 + -0.2
            return out.bitPattern == (v / (1 + fastExp(-v))).bitPattern
        })
        var gradient = values.map { $0 * 0.1 + 1 }
        gradient.withUnsafeMutableBufferPointer { g in
            values.withUnsafeBufferPointer { multiplyBySiLUDerivative(g.baseAddress!, source: $0.baseAddress!, scale: 0.7, shift: -0.2, count: $0.count) }
        }
        #expect(zip(gradient, values).allSatisfy { out, x in
            let v = x * 0.7 + -0.2, s = 1 / (1 + fastExp(-v))
            return out.bitPattern == ((x * 0.1 + 1) * s * (1 + v * (1 - s))).bitPattern
        })
    }
}

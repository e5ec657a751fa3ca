import Foundation
import PhantomLayers
import PhantomTensor
import PhantomTestSupport
import Testing

/// Finite-difference checks of every layer's backward pass (input and parameters).
@Suite struct LayerGradientTests {
    func randomize(_ module: Module, seed: UInt64, scale: Float = 0.5) {
        for (index, entry) in module.namedParameters.enumerated() {
            let noise = GradientCheck.random(entry.parameter.shape, seed: seed + UInt64(index), scale: scale)
            for i in 0..<noise.count { entry.parameter.value.data[i] += noise.data[i] }
        }
    }

    func checkModule(_ name: String, _ module: Module, x: Tensor, forward: @escaping (Tensor) -> Tensor,
                     backward: (Tensor) -> Tensor, check: GradientCheck = GradientCheck()) {
        let y = forward(x)
        let r = GradientCheck.random(y.shape, seed: 99)
        module.zeroGradients()
        let dx = backward(r).values
        let parameters = module.namedParameters
        check.check(name: name,
                    checked: [("x", x)] + parameters.map { ($0.name, $0.parameter.value) },
                    analytic: [dx] + parameters.map { $0.parameter.gradient.values },
                    r: r, forward: { forward(x) })
    }

    @Test func groupNorm() {
        let norm = GroupNorm(groups: 2, channels: 6, epsilon: 1e-5)
        randomize(norm, seed: 1)
        let x = GradientCheck.random([2, 6, 3, 4], seed: 2)
        checkModule("GroupNorm", norm, x: x, forward: { norm.forward($0, into: Tensor(zeros: $0.shape)) },
                    // backward overwrites its argument, which the check reuses.
                    backward: { norm.backward(Tensor(shape: $0.shape, values: $0.values)) },
                    check: GradientCheck(epsilon: 1e-2, absolute: 5e-3, relative: 2e-2))
    }

    @Test func groupNormSiLU() {
        let norm = GroupNorm(groups: 2, channels: 6, epsilon: 1e-5, appliesSiLU: true)
        randomize(norm, seed: 5)
        checkModule("GroupNorm+SiLU", norm, x: GradientCheck.random([2, 6, 3, 4], seed: 6),
                    forward: { norm.forward($0, into: Tensor(zeros: $0.shape)) },
                    backward: { norm.backward(Tensor(shape: $0.shape, values: $0.values)) },
                    check: GradientCheck(epsilon: 1e-2, absolute: 5e-3, relative: 2e-2))
    }

    @Test func linear() {
        let linear = Linear(inFeatures: 5, outFeatures: 4)
        randomize(linear, seed: 3)
        checkModule("Linear", linear, x: GradientCheck.random([3, 5], seed: 4),
                    forward: linear.forward, backward: linear.backward)
    }

    @Test func channelLinear() {
        let linear = ChannelLinear(inFeatures: 3, outFeatures: 4)
        randomize(linear, seed: 5)
        checkModule("ChannelLinear", linear, x: GradientCheck.random([2, 3, 2, 3], seed: 6),
                    forward: linear.forward, backward: linear.backward)
    }

    @Test func silu() {
        let silu = SiLU()
        let x = GradientCheck.random([2, 3, 4, 4], seed: 7, scale: 2)
        let y = silu.forward(x)
        let r = GradientCheck.random(y.shape, seed: 8)
        let dx = silu.backward(r).values
        GradientCheck(epsilon: 1e-3).check(name: "SiLU", checked: [("x", x)], analytic: [dx], r: r,
                                           forward: { silu.forward(x) })
        #expect(abs(y.data[0] - x.data[0] / (1 + exp(-x.data[0]))) < 1e-6)
    }

    @Test func nearestUpsample() {
        let upsample = NearestUpsample2x()
        let x = GradientCheck.random([2, 2, 3, 2], seed: 9)
        let y = upsample.forward(x)
        #expect(y.shape == [2, 2, 6, 4])
        #expect(y.data[0] == x.data[0] && y.data[1] == x.data[0] && y.data[4] == x.data[0] && y.data[2] == x.data[1])
        let r = GradientCheck.random(y.shape, seed: 10)
        let dx = upsample.backward(r).values
        GradientCheck().check(name: "Upsample", checked: [("x", x)], analytic: [dx], r: r,
                              forward: { upsample.forward(x) })
    }

    @Test func selfAttentionMultiHead() {
        let attention = SelfAttention(channels: 8, heads: 2, groups: 2, epsilon: 1e-5, rescale: 1)
        randomize(attention, seed: 11, scale: 0.4)
        checkModule("SelfAttention", attention, x: GradientCheck.random([2, 8, 3, 3], seed: 12),
                    forward: { attention.forward($0) }, backward: attention.backward,
                    check: GradientCheck(epsilon: 1e-2, absolute: 5e-3, relative: 2e-2, samplesPerTensor: 12))
    }

    @Test func selfAttentionOneHeadWithRescale() {
        let attention = SelfAttention(channels: 4, heads: 1, groups: 4, epsilon: 1e-6, rescale: 1.414)
        randomize(attention, seed: 13, scale: 0.4)
        checkModule("SelfAttention/1", attention, x: GradientCheck.random([1, 4, 2, 3], seed: 14),
                    forward: { attention.forward($0) }, backward: attention.backward,
                    check: GradientCheck(epsilon: 1e-2, absolute: 5e-3, relative: 2e-2, samplesPerTensor: 12))
    }

    @Test func embedding() {
        let embedding = Embedding(count: 4, dimension: 3)
        randomize(embedding, seed: 15)
        let indices = [2, 0, 2]
        let y = embedding.forward(indices)
        #expect(Array(y.values[0..<3]) == Array(embedding.weight.value.values[6..<9]))
        let r = GradientCheck.random(y.shape, seed: 16)
        embedding.zeroGradients()
        embedding.backward(r)
        GradientCheck().check(name: "Embedding", checked: [("weight", embedding.weight.value)],
                              analytic: [embedding.weight.gradient.values], r: r,
                              forward: { embedding.forward(indices) })
    }

    @Test func meanSquaredError() {
        let prediction = GradientCheck.random([2, 1, 3, 3], seed: 17)
        let target = GradientCheck.random([2, 1, 3, 3], seed: 18)
        let gradient = Tensor(zeros: prediction.shape)
        let loss = MeanSquaredError.lossAndGradient(prediction: prediction, target: target, gradient: gradient)
        let expected = zip(prediction.values, target.values).reduce(0.0) { $0 + Double(($1.0 - $1.1) * ($1.0 - $1.1)) } / 18
        #expect(abs(loss - expected) < 1e-6)
        // dL/dp for L = mean((p − t)²) via finite differences with r = 1 on the scalar loss.
        let scalar = Tensor(shape: [1], values: [1])
        GradientCheck(epsilon: 1e-3).check(name: "MSE", checked: [("prediction", prediction)],
                                           analytic: [gradient.values], r: scalar, forward: {
            let scratch = Tensor(zeros: prediction.shape)
            let value = MeanSquaredError.lossAndGradient(prediction: prediction, target: target, gradient: scratch)
            return Tensor(shape: [1], values: [Float(value)])
        })
    }
}

import Foundation
import PhantomLayers
import PhantomTensor
import PhantomTestSupport
import Testing

/// The layers of the evaluation's feature network: pooling and cross-entropy, their
/// values and their backward passes against finite differences.
@Suite struct ClassifierLayerTests {
    @Test func averagePoolValuesAndGradient() {
        let pool = AveragePool2d()
        let x = GradientCheck.random([2, 3, 4, 6], seed: 11)
        let y = pool.forward(x)
        #expect(y.shape == [2, 3, 2, 3])
        let expected = (x.data[0] + x.data[1] + x.data[6] + x.data[7]) / 4
        #expect(abs(y.data[0] - expected) < 1e-6)
        let r = GradientCheck.random(y.shape, seed: 12)
        let dx = pool.backward(r).values
        GradientCheck().check(name: "AveragePool2d", checked: [("x", x)], analytic: [dx], r: r,
                              forward: { pool.forward(x) })
    }

    @Test func globalAveragePoolValuesAndGradient() {
        let pool = GlobalAveragePool()
        let x = GradientCheck.random([2, 3, 4, 5], seed: 13)
        let y = pool.forward(x)
        #expect(y.shape == [2, 3])
        let expected = (0..<20).reduce(Float(0)) { $0 + x.data[20 + $1] } / 20
        #expect(abs(y.data[1] - expected) < 1e-6)
        let r = GradientCheck.random(y.shape, seed: 14)
        let dx = pool.backward(r).values
        GradientCheck().check(name: "GlobalAveragePool", checked: [("x", x)], analytic: [dx], r: r,
                              forward: { pool.forward(x) })
    }

    @Test func crossEntropyValue() {
        // Equal logits: every class has probability 1/K, so the loss is log K.
        let logits = Tensor(zeros: [3, 5])
        let gradient = Tensor(zeros: [3, 5])
        let loss = SoftmaxCrossEntropy.lossAndGradient(logits: logits, labels: [0, 4, 2], gradient: gradient)
        #expect(abs(loss - log(5.0)) < 1e-12)
        // A large logit gap: no overflow, and the loss approaches the gap.
        let far = Tensor(shape: [1, 2], values: [500, -500])
        #expect(abs(SoftmaxCrossEntropy.lossAndGradient(logits: far, labels: [1], gradient: Tensor(zeros: [1, 2])) - 1000) < 1e-6)
    }

    @Test func crossEntropyGradient() {
        let logits = GradientCheck.random([4, 6], seed: 15, scale: 2)
        let labels = [0, 5, 3, 3]
        let gradient = Tensor(zeros: logits.shape), scratch = Tensor(zeros: logits.shape)
        _ = SoftmaxCrossEntropy.lossAndGradient(logits: logits, labels: labels, gradient: gradient)
        for i in 0..<logits.count {
            let original = logits.data[i], h: Float = 1e-2
            logits.data[i] = original + h
            let up = SoftmaxCrossEntropy.lossAndGradient(logits: logits, labels: labels, gradient: scratch)
            logits.data[i] = original - h
            let down = SoftmaxCrossEntropy.lossAndGradient(logits: logits, labels: labels, gradient: scratch)
            logits.data[i] = original
            let numeric = (up - down) / Double(2 * h)
            #expect(abs(numeric - Double(gradient.data[i])) < 2e-4, "d/dz[\(i)]: \(gradient.data[i]) vs \(numeric)")
        }
    }
}

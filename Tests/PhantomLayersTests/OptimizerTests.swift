import Foundation
import PhantomLayers
import PhantomTensor
import Testing

/// AdamW, gradient clipping and the EMA, against hand-written Double references
/// and values printed by PyTorch 2.13 / diffusers 0.42.
@Suite struct OptimizerTests {
    /// Two parameters, one larger than an element chunk, so the chunked loops are exercised.
    final class TinyModel: Module {
        let weight: Parameter
        let bias: Parameter

        init(seed: Int) {
            weight = Parameter(shape: [3, 40_000], values: (0..<120_000).map { Float(sin(Double($0 * 7 + seed))) })
            bias = Parameter(shape: [5], values: (0..<5).map { Float($0 + seed) * 0.25 - 0.5 })
        }

        func visitParameters(prefix: String, _ visit: (String, Parameter) -> Void) {
            visit(join(prefix, "weight"), weight)
            visit(join(prefix, "bias"), bias)
        }

        /// Deterministic gradients for step `step`.
        func setGradients(step: Int) {
            for (index, parameter) in [weight, bias].enumerated() {
                for i in 0..<parameter.gradient.count {
                    parameter.gradient.data[i] = Float(cos(Double(i * 13 + step * 5 + index))) * Float(step + 1) * 0.1
                }
            }
        }
    }

    // MARK: AdamW

    /// AdamW in Double, written from the formulas of torch's documentation.
    struct ReferenceAdamW {
        var m: [Double], v: [Double], t = 0
        init(count: Int) { m = Array(repeating: 0, count: count); v = m }

        mutating func step(_ p: inout [Double], _ g: [Double], lr: Double, b1: Double, b2: Double, eps: Double, wd: Double) {
            t += 1
            for i in p.indices {
                p[i] -= lr * wd * p[i]
                m[i] = b1 * m[i] + (1 - b1) * g[i]
                v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i]
                let mHat = m[i] / (1 - pow(b1, Double(t)))
                let vHat = v[i] / (1 - pow(b2, Double(t)))
                p[i] -= lr * mHat / (vHat.squareRoot() + eps)
            }
        }
    }

    @Test(arguments: [(0.9, 0.999, 1e-2), (0.95, 0.999, 1e-6), (0.3, 0.99, 0.1)])
    func adamWMatchesADoubleReference(beta1: Double, beta2: Double, weightDecay: Double) {
        let start: [Float] = [0.5, -1.25, 2, 0, -3, 1e-3, 40]
        let parameter = Parameter(shape: [7], values: start)
        let optimizer = AdamW(parameters: [("p", parameter)], beta1: beta1, beta2: beta2, epsilon: 1e-8, weightDecay: weightDecay)
        var reference = ReferenceAdamW(count: 7)
        var expected = start.map(Double.init)
        for step in 0..<6 {
            let gradient = (0..<7).map { Float(sin(Double($0 * 3 + step))) * (step == 2 ? 100 : 1) }
            for i in 0..<7 { parameter.gradient.data[i] = gradient[i] }
            let lr = 1e-2 / Double(step + 1)  // a schedule: the rate changes every step
            optimizer.learningRate = lr
            optimizer.step()
            reference.step(&expected, gradient.map(Double.init), lr: lr, b1: beta1, b2: beta2, eps: 1e-8, wd: weightDecay)
            for (actual, wanted) in zip(parameter.value.values, expected) {
                #expect(abs(Double(actual) - wanted) <= 1e-6 * max(1, abs(wanted)), "step \(step): \(actual) vs \(wanted)")
            }
        }
        #expect(optimizer.stepCount == 6)
    }

    /// `torch.optim.AdamW([p], lr, betas=(0.95, 0.999), eps=1e-8, weight_decay=1e-2)`,
    /// three steps with learning rates 1e-2, 5e-3, 2e-2 (torch 2.13, CPU, one thread).
    /// Bit for bit: torch's lerp and addcmul are fused multiply-adds (an unfused
    /// update differs in 10 of these 32 first moments). On large tensors about one
    /// parameter in a thousand can still differ by 1 ulp: torch's CPU `sqrt` (MKL)
    /// is not always correctly rounded.
    @Test func adamWMatchesPyTorch() {
        let parameter = Parameter(shape: [32], values: (0..<32).map { Float($0 - 13) / 8 })
        let optimizer = AdamW(parameters: [("p", parameter)], learningRate: 1e-2, beta1: 0.95, beta2: 0.999,
                              epsilon: 1e-8, weightDecay: 1e-2)
        for (step, lr) in [1e-2, 5e-3, 2e-2].enumerated() {
            for i in 0..<32 { parameter.gradient.data[i] = Float((i * 37 + step * 11) % 23 - 11) / 16 }
            optimizer.learningRate = lr
            optimizer.step()
        }
        let torchParameter: [Float] = [
            -0x1.9ca0a2p+0, -0x1.80976p+0, -0x1.5af65ap+0, -0x1.45ac5ep+0, -0x1.202d52p+0, -0x1.f12c02p-1, -0x1.c3701cp-1, -0x1.780184p-1,
            -0x1.4cbe4ap-1, -0x1.0715fcp-1, -0x1.6428b2p-2, -0x1.0b9e52p-2, -0x1.d27cf2p-4, -0x1.bb63d4p-6, 0x1.07b02ap-3, 0x1.198b4cp-2,
            0x1.6fce48p-2, 0x1.03528p-1, 0x1.3142cap-1, 0x1.80489p-1, 0x1.cb545ep-1, 0x1.f5dc02p-1, 0x1.208b0cp+0, 0x1.431d6ep+0,
            0x1.5f26bp+0, 0x1.84c7b6p+0, 0x1.9a11b2p+0, 0x1.bf90bep+0, 0x1.e7280cp+0, 0x1.fe0602p+0, 0x1.11dea8p+1, 0x1.1caf72p+1,
        ]
        let torchExpAvg: [Float] = [
            0x1.b74bb8p-9, -0x1.8978d2p-7, -0x1.8872bp-6, 0x1.0ac084p-5, 0x1.51cac2p-6, -0x1.e851ecp-5, -0x1.9581p-9, -0x1.ecccccp-7,
            0x1.53c6a8p-5, 0x1.e3d70cp-6, -0x1.9f4bc6p-5, 0x1.7d70a6p-8, -0x1.916872p-8, 0x1.9ccccep-5, -0x1.e8d4fep-6, -0x1.5645a2p-5,
            0x1.e2d0e4p-7, 0x1.6d915ep-9, 0x1.e5d2f4p-5, -0x1.56c8b6p-6, -0x1.0d3f7cp-5, 0x1.8374bcp-6, 0x1.7f7cfp-7, 0x1.b74bb8p-9,
            -0x1.8978d2p-7, -0x1.8872bp-6, 0x1.0ac084p-5, 0x1.51cac2p-6, -0x1.e851ecp-5, -0x1.9581p-9, -0x1.ecccccp-7, 0x1.53c6a8p-5,
        ]
        let torchExpAvgSq: [Float] = [
            0x1.ef1ee4p-11, 0x1.809e5ap-12, 0x1.c229bp-12, 0x1.07e5bp-11, 0x1.ada988p-12, 0x1.c63e9ep-11, 0x1.6c26ap-12, 0x1.8cf5b8p-12,
            0x1.3b0acp-11, 0x1.f33768p-12, 0x1.7a8a4ep-11, 0x1.703c1p-12, 0x1.704eecp-12, 0x1.7a7662p-11, 0x1.f3355p-12, 0x1.3b1c9p-11,
            0x1.8cdea8p-12, 0x1.6c354ap-12, 0x1.c6289cp-11, 0x1.ada34p-12, 0x1.07f56ap-11, 0x1.c20e72p-12, 0x1.80a8d6p-12, 0x1.ef1ee4p-11,
            0x1.809e5ap-12, 0x1.c229bp-12, 0x1.07e5bp-11, 0x1.ada988p-12, 0x1.c63e9ep-11, 0x1.6c26ap-12, 0x1.8cf5b8p-12, 0x1.3b0acp-11,
        ]
        let state = Dictionary(uniqueKeysWithValues: optimizer.stateTensors.map { ($0.name, $0.tensor.values) })
        #expect(parameter.value.values == torchParameter)
        #expect(state["p.exp_avg"] == torchExpAvg)
        #expect(state["p.exp_avg_sq"] == torchExpAvgSq)
    }

    @Test func adamWUpdatesEveryElementOfLargeParametersOnce() {
        let model = TinyModel(seed: 1)
        let before = model.weight.value.values
        let optimizer = AdamW(module: model, learningRate: 1e-3)
        model.setGradients(step: 0)
        optimizer.step()
        // First step from zero moments, in torch's Float32 operation order.
        let lr = 1e-3, wd = 1e-2, b1 = 0.9, b2 = 0.999
        let decay = Float(1 - lr * wd), negativeStep = Float(-(lr / (1 - b1)))
        let root = Float(pow(1 - b2, 0.5)), eps: Float = 1e-8
        var mismatches = 0
        for i in 0..<before.count {
            let g = model.weight.gradient.data[i]
            let m = Float(0).addingProduct(Float(1 - b1), g - 0)
            let v = (0 * Float(b2)).addingProduct(Float(1 - b2) * g, g)
            let expected = before[i] * decay + negativeStep * m / (v.squareRoot() / root + eps)
            if model.weight.value.data[i] != expected { mismatches += 1 }
        }
        #expect(mismatches == 0)
    }

    @Test func adamWNamesItsStateAfterTheParameters() {
        let model = TinyModel(seed: 0)
        let optimizer = AdamW(module: model)
        #expect(optimizer.stateTensors.map(\.name) == ["weight.exp_avg", "weight.exp_avg_sq", "bias.exp_avg", "bias.exp_avg_sq"])
        #expect(optimizer.stateTensors.map(\.tensor.shape) == [[3, 40_000], [3, 40_000], [5], [5]])
        #expect(optimizer.stateTensors.allSatisfy { $0.tensor.values.allSatisfy { $0 == 0 } })
    }

    @Test func adamWResumesFromExportedStateBitIdentically() {
        let schedule = [3e-3, 2e-3, 1e-3, 1e-3, 5e-4]
        func run(_ optimizer: AdamW, _ model: TinyModel, steps: Range<Int>) {
            for step in steps {
                model.setGradients(step: step)
                optimizer.learningRate = schedule[step]
                optimizer.step()
            }
        }
        let uninterrupted = TinyModel(seed: 3)
        let reference = AdamW(module: uninterrupted, beta1: 0.95, weightDecay: 1e-6)
        run(reference, uninterrupted, steps: 0..<5)

        let first = TinyModel(seed: 3)
        let interrupted = AdamW(module: first, beta1: 0.95, weightDecay: 1e-6)
        run(interrupted, first, steps: 0..<2)
        // "Save": copy out parameters and optimizer state; "load" them into fresh objects.
        let savedParameters = first.namedParameters.map { ($0.name, $0.parameter.value.values) }
        let savedState = interrupted.stateTensors.map { ($0.name, $0.tensor.values) }
        let resumed = TinyModel(seed: 99)
        for ((_, values), (_, parameter)) in zip(savedParameters, resumed.namedParameters) {
            parameter.value.copy(from: Tensor(shape: parameter.shape, values: values))
        }
        let restored = AdamW(module: resumed, beta1: 0.95, weightDecay: 1e-6)
        for ((name, values), (targetName, tensor)) in zip(savedState, restored.stateTensors) {
            #expect(name == targetName)
            tensor.copy(from: Tensor(shape: tensor.shape, values: values))
        }
        restored.stepCount = interrupted.stepCount
        run(restored, resumed, steps: 2..<5)

        #expect(resumed.weight.value.values == uninterrupted.weight.value.values)
        #expect(resumed.bias.value.values == uninterrupted.bias.value.values)
        #expect(restored.stateTensors.map(\.tensor.values) == reference.stateTensors.map(\.tensor.values))
        #expect(restored.stepCount == 5)
    }

    // MARK: Gradient clipping

    @Test func gradientNormIsTheGlobalL2Norm() {
        let a = Parameter(shape: [2]), b = Parameter(shape: [1])
        a.gradient.copy(from: Tensor(shape: [2], values: [3, 0]))
        b.gradient.copy(from: Tensor(shape: [1], values: [-4]))
        #expect(gradientNorm([a, b]) == 5)
        #expect(gradientNorm([]) == 0)

        let model = TinyModel(seed: 0)
        model.setGradients(step: 1)
        let parameters = model.namedParameters.map(\.parameter)
        var sum = 0.0
        for parameter in parameters { for g in parameter.gradient.values { sum += Double(g) * Double(g) } }
        #expect(abs(gradientNorm(parameters) - sum.squareRoot()) <= 1e-12 * sum.squareRoot())
    }

    @Test func clipGradientsScalesLikeTorch() {
        let a = Parameter(shape: [2]), b = Parameter(shape: [1])
        a.gradient.copy(from: Tensor(shape: [2], values: [3, 0]))
        b.gradient.copy(from: Tensor(shape: [1], values: [-4]))
        #expect(clipGradients([a, b], maxNorm: 1) == 5)
        let scale = Float(1 / (5 + 1e-6))
        #expect(a.gradient.values == [3 * scale, 0])
        #expect(b.gradient.values == [-4 * scale])
        #expect(abs(gradientNorm([a, b]) - 1) < 1e-6)

        // Below the limit nothing changes.
        a.gradient.copy(from: Tensor(shape: [2], values: [0.3, 0]))
        b.gradient.copy(from: Tensor(shape: [1], values: [-0.4]))
        #expect(abs(clipGradients([a, b], maxNorm: 1) - 0.5) < 1e-7)
        #expect(a.gradient.values == [0.3, 0] && b.gradient.values == [-0.4])
    }

    @Test func clipGradientsClipsLargeParametersUniformly() {
        let model = TinyModel(seed: 2)
        model.setGradients(step: 4)
        let parameters = model.namedParameters.map(\.parameter)
        let before = parameters.map(\.gradient.values)
        let norm = clipGradients(parameters, maxNorm: 0.5)
        #expect(norm > 0.5)
        let scale = Float(0.5 / (norm + 1e-6))
        #expect(zip(parameters, before).allSatisfy { parameter, old in parameter.gradient.values == old.map { $0 * scale } })
        #expect(abs(gradientNorm(parameters) - 0.5) < 1e-5)
    }

    @Test func nonFiniteGradientsGiveANonFiniteNormAndAreLeftAlone() {
        let a = Parameter(shape: [3])
        for poison in [Float.nan, .infinity, -.infinity] {
            a.gradient.copy(from: Tensor(shape: [3], values: [1, poison, 2]))
            let norm = clipGradients([a], maxNorm: 1)
            #expect(!norm.isFinite)
            #expect(a.gradient.values[0] == 1 && a.gradient.values[2] == 2)
        }
        // Huge but finite gradients overflow Float, not the Double sum: the norm stays finite.
        let huge = Parameter(shape: [1000])
        huge.gradient.copy(from: Tensor(shape: [1000], values: Array(repeating: .greatestFiniteMagnitude, count: 1000)))
        #expect(gradientNorm([huge]).isFinite)
    }

    // MARK: Exponential moving average

    @Test func emaDecayFollowsDiffusers() {
        // Values of diffusers' EMAModel.get_decay (diffusers 0.42), printed by Python.
        let defaults = ExponentialMovingAverage.Configuration()
        #expect(defaults.decay(atStep: 0) == 0)
        #expect(defaults.decay(atStep: 1) == 0)
        #expect(abs(defaults.decay(atStep: 2) - 0.4053964424986395) < 1e-15)     // 1 − 2^−¾
        #expect(abs(defaults.decay(atStep: 10) - 0.8221720589961077) < 1e-15)    // 1 − 10^−¾
        #expect(abs(defaults.decay(atStep: 100_000) - 0.9998221720589962) < 1e-15)
        #expect(defaults.decay(atStep: 10_000_000) == 0.9999)

        let plain = ExponentialMovingAverage.Configuration(useWarmup: false)
        #expect(plain.decay(atStep: 5) == 5.0 / 14.0)                          // n = 4
        #expect(plain.decay(atStep: 1_000_000) == 0.9999)

        let delayed = ExponentialMovingAverage.Configuration(minDecay: 0.5, updateAfterStep: 10)
        #expect(delayed.decay(atStep: 11) == 0)
        #expect(delayed.decay(atStep: 12) == 0.5)                               // 0.405… raised to min_decay
        #expect(abs(delayed.decay(atStep: 20) - 0.8221720589961077) < 1e-15)
    }

    @Test func emaShadowMovesTowardsTheParameters() {
        let parameter = Parameter(shape: [2], values: [1, -2])
        let ema = ExponentialMovingAverage(parameters: [("w", parameter)])
        #expect(ema.shadowTensors.map(\.name) == ["w"])
        #expect(ema.shadowTensors[0].tensor.values == [1, -2])

        // Step 1: decay 0, the shadow takes the parameter's value.
        parameter.value.copy(from: Tensor(shape: [2], values: [3, 0.5]))
        ema.step()
        #expect(ema.lastDecay == 0)
        #expect(ema.shadowTensors[0].tensor.values == [3, 0.5])

        // Step 2: decay 1 − 2^−¾, shadow ← shadow − (1 − decay)(shadow − parameter) in Float32.
        parameter.value.copy(from: Tensor(shape: [2], values: [5, -1.5]))
        ema.step()
        let rate = Float(1 - ema.lastDecay)
        #expect(ema.shadowTensors[0].tensor.values == [3 - rate * (3 - 5), 0.5 - rate * (0.5 - -1.5)])
        let exact = [3 + 2 * pow(2, -0.75), 0.5 - 2 * pow(2, -0.75)]
        for (actual, expected) in zip(ema.shadowTensors[0].tensor.values, exact) { #expect(abs(Double(actual) - expected) < 1e-6) }
        // diffusers' EMAModel.step on the same values (torch 2.13), bit for bit.
        #expect(ema.shadowTensors[0].tensor.values == [0x1.0c1bf8p+2, -0x1.60dfcp-1])
        #expect(ema.stepCount == 2)
        #expect(parameter.value.values == [5, -1.5])
    }

    @Test func emaResumesAndCopiesIntoAModel() {
        func train(_ model: TinyModel, _ ema: ExponentialMovingAverage, steps: Range<Int>) {
            for step in steps {
                for i in 0..<model.bias.value.count { model.bias.value.data[i] += Float(step + i) * 0.01 }
                model.weight.value.data[step] -= 1
                ema.step()
            }
        }
        let model = TinyModel(seed: 4)
        let ema = ExponentialMovingAverage(module: model)
        train(model, ema, steps: 0..<6)

        let other = TinyModel(seed: 4)
        let first = ExponentialMovingAverage(module: other)
        train(other, first, steps: 0..<3)
        let resumed = ExponentialMovingAverage(module: other)
        for ((_, source), (_, target)) in zip(first.shadowTensors, resumed.shadowTensors) { target.copy(from: source) }
        resumed.stepCount = first.stepCount
        train(other, resumed, steps: 3..<6)
        #expect(resumed.shadowTensors.map(\.tensor.values) == ema.shadowTensors.map(\.tensor.values))
        #expect(resumed.lastDecay == ema.lastDecay)

        let sampling = TinyModel(seed: 50)
        ema.copy(into: sampling)
        #expect(sampling.weight.value.values == ema.shadowTensors[0].tensor.values)
        #expect(sampling.bias.value.values == ema.shadowTensors[1].tensor.values)
        #expect(sampling.bias.value.values != model.bias.value.values)
    }
}

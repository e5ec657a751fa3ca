import PhantomLayers
import PhantomTensor
import PhantomTestSupport
import Testing

/// Per-example gradients (``ExampleGradients``, DP-SGD's input): one batched backward pass
/// must give every example the gradient that a pass over that example's positions alone gives.
@Suite struct ExampleGradientsTests {
    /// A layer under test: its parameters, and one forward + backward over a batch.
    struct Case {
        let name: String
        let module: Module
        /// Runs `x` (the batch's first dimension is positions) forward, then `dy` back.
        let pass: (_ x: Tensor, _ dy: Tensor) -> Void
        let inputShape: [Int]
        let outputShape: [Int]
    }

    /// The positions `range` of `t` (first dimension) as a tensor of their own.
    static func positions(_ t: Tensor, _ range: Range<Int>) -> Tensor {
        let per = t.count / t.shape[0]
        return Tensor(shape: [range.count] + t.shape.dropFirst(), values: Array(t.values[range.lowerBound * per..<range.upperBound * per]))
    }

    /// 3 examples of `perExample` positions each: the rows of one batched pass against the
    /// summed gradients of each example's own pass.
    static func check(_ layer: Case, perExample: Int) {
        let examples = 3, batch = examples * perExample
        let x = GradientCheck.random([batch] + layer.inputShape, seed: 11)
        let dy = GradientCheck.random([batch] + layer.outputShape, seed: 12)
        let parameters = layer.module.namedParameters
        let rows = parameters.map { ExampleGradients(capacity: examples, count: $0.parameter.gradient.count) }
        for ((_, parameter), row) in zip(parameters, rows) {
            parameter.gradient.zero()
            row.begin(examples: examples, positionsPerExample: perExample)
            parameter.exampleGradients = row
        }
        layer.pass(x, dy)
        for (_, parameter) in parameters {
            #expect(parameter.gradient.values.allSatisfy { $0 == 0 }, "\(layer.name): the summed gradient stays untouched")
            parameter.exampleGradients = nil
        }
        for example in 0..<examples {
            let range = example * perExample..<(example + 1) * perExample
            layer.module.zeroGradients()
            layer.pass(positions(x, range), positions(dy, range))
            for ((name, parameter), row) in zip(parameters, rows) {
                let count = parameter.gradient.count
                let batched = Array(UnsafeBufferPointer(start: row.rows.data + example * count, count: count))
                let alone = parameter.gradient.values
                let scale = max(alone.map(abs).max() ?? 0, 1e-6)
                let difference = zip(batched, alone).map { abs($0 - $1) }.max() ?? 0
                #expect(difference <= 1e-5 * scale, "\(layer.name) \(name), example \(example) of \(perExample) positions: \(difference) over \(scale)")
            }
        }
    }

    static func convolution(_ name: String, _ inC: Int, _ outC: Int, kernel: Int, stride: Int, side: Int,
                            algorithm: Conv2d.Algorithm) -> Case {
        let pad = kernel / 2
        let conv = Conv2dTests.makeConv(inC, outC, kernel: kernel, stride: stride, pad: (pad, pad, pad, pad), seed: 3)
        conv.algorithm = algorithm
        let out = (side + 2 * pad - kernel) / stride + 1
        return Case(name: name, module: conv, pass: { x, dy in _ = conv.forward(x); _ = conv.backward(dy) },
                    inputShape: [inC, side, side], outputShape: [outC, out, out])
    }

    static func cases() -> [Case] {
        let linear = Linear(inFeatures: 5, outFeatures: 4)
        linear.weight.value.copy(from: GradientCheck.random([4, 5], seed: 1))
        let norm = GroupNorm(groups: 2, channels: 6, epsilon: 1e-5, appliesSiLU: true)
        norm.weight.value.copy(from: GradientCheck.random([6], seed: 2))
        let attention = ChannelLinear(inFeatures: 3, outFeatures: 4)
        return [
            convolution("im2col 3×3", 3, 5, kernel: 3, stride: 1, side: 6, algorithm: .im2col),
            convolution("im2col 3×3 stride 2", 4, 3, kernel: 3, stride: 2, side: 6, algorithm: .im2col),
            convolution("Winograd F(2×2, 3×3)", 5, 6, kernel: 3, stride: 1, side: 7, algorithm: .winogradF2),
            convolution("Winograd F(4×4, 3×3)", 5, 6, kernel: 3, stride: 1, side: 9, algorithm: .winogradF4),
            convolution("oneDNN direct 3×3", 16, 8, kernel: 3, stride: 1, side: 6, algorithm: .direct),
            convolution("oneDNN direct 3×3 stride 2", 4, 3, kernel: 3, stride: 2, side: 6, algorithm: .direct),
            Case(name: "ChannelLinear", module: attention,
                 pass: { x, dy in _ = attention.forward(x); _ = attention.backward(dy) },
                 inputShape: [3, 2, 3], outputShape: [4, 2, 3]),
            Case(name: "Linear", module: linear, pass: { x, dy in _ = linear.forward(x); _ = linear.backward(dy) },
                 inputShape: [5], outputShape: [4]),
            Case(name: "GroupNorm+SiLU", module: norm,
                 pass: { x, dy in norm.forward(x, into: Tensor(zeros: x.shape)); norm.backward(Tensor(shape: dy.shape, values: dy.values)) },
                 inputShape: [6, 3, 4], outputShape: [6, 3, 4]),
        ]
    }

    @Test(arguments: [1, 2]) func batchedRowsEqualEachExampleAlone(perExample: Int) {
        for layer in Self.cases() { Self.check(layer, perExample: perExample) }
    }

    @Test func embeddingRowsGoToTheirExamples() {
        let embedding = Embedding(count: 4, dimension: 3)
        let rows = ExampleGradients(capacity: 2, count: 12)
        rows.begin(examples: 2, positionsPerExample: 2)
        embedding.weight.exampleGradients = rows
        _ = embedding.forward([2, 0, 2, 2])
        embedding.backward(Tensor(shape: [4, 3], values: (1...12).map(Float.init)))
        // Example 0: positions 0 (index 2) and 1 (index 0); example 1: positions 2 and 3, both index 2.
        #expect(Array(rows.rows.values[0..<12]) == [4, 5, 6, 0, 0, 0, 1, 2, 3, 0, 0, 0])
        #expect(Array(rows.rows.values[12..<24]) == [0, 0, 0, 0, 0, 0, 17, 19, 21, 0, 0, 0])
        #expect(embedding.weight.gradient.values.allSatisfy { $0 == 0 })
    }
}

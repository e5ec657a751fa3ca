import Foundation
import PhantomLayers
import PhantomSafetensors
import PhantomTensor
import PhantomTestSupport
import Testing

/// Layer forwards against PyTorch/diffusers (Tests/Fixtures/make_layer_fixtures.py).
@Suite struct LayerParityTests {
    static func load(_ name: String) throws -> SafetensorsFile {
        try SafetensorsFile(contentsOf: Fixtures.url("layers/\(name).safetensors"))
    }

    /// Loads the module's parameters from the fixture, runs it on `x`, and returns
    /// the largest error relative to the largest reference value.
    static func check(_ module: Module, _ file: SafetensorsFile, forward: (Tensor) -> Tensor) throws -> Float {
        for (name, parameter) in module.namedParameters {
            try file.copyFloats(named: name, shape: parameter.shape, into: parameter.value.buffer)
        }
        let x = try file.tensor(named: "x")
        let y = forward(Tensor(shape: x.shape, values: try x.floats()))
        let expected = try file.tensor(named: "y")
        #expect(y.shape == expected.shape)
        let reference = try expected.floats()
        let scale = reference.map(abs).max() ?? 1
        return zip(y.values, reference).map { abs($0 - $1) }.max()! / scale
    }

    @Test(arguments: [
        ("conv3x3_s1_p1", 3, 1, (1, 1, 1, 1)), ("conv3x3_s2_p1", 3, 2, (1, 1, 1, 1)),
        ("conv3x3_s2_pad_right_bottom", 3, 2, (0, 0, 1, 1)), ("conv1x1", 1, 1, (0, 0, 0, 0)),
    ])
    func convolutionMatchesPyTorch(name: String, kernel: Int, stride: Int, pad: (Int, Int, Int, Int)) throws {
        let conv = Conv2d(inChannels: 3, outChannels: 4, kernel: kernel, stride: stride, pad: pad)
        let error = try Self.check(conv, Self.load(name), forward: { conv.forward($0) })
        #expect(error < 1e-5, "\(name): \(error)")
    }

    @Test func groupNormMatchesPyTorch() throws {
        let norm = GroupNorm(groups: 2, channels: 6, epsilon: 1e-6)
        let error = try Self.check(norm, Self.load("group_norm"), forward: { norm.forward($0, into: Tensor(zeros: $0.shape)) })
        #expect(error < 1e-5, "group norm: \(error)")
    }

    @Test(arguments: [("attention_heads2", 2, Float(1)), ("attention_one_head", 1, Float(2).squareRoot())])
    func attentionMatchesDiffusers(name: String, heads: Int, rescale: Float) throws {
        let attention = SelfAttention(channels: 8, heads: heads, groups: 2, epsilon: 1e-5, rescale: rescale)
        let error = try Self.check(attention, Self.load(name), forward: { attention.forward($0) })
        #expect(error < 1e-5, "\(name): \(error)")
    }
}

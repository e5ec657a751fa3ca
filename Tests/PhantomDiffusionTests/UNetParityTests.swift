import Foundation
import PhantomDiffusion
import PhantomLayers
import PhantomSafetensors
import PhantomTensor
import PhantomTestSupport
import Testing

/// Forward outputs and gradients against diffusers' `UNet2DModel` on the fixtures.
@Suite struct UNetParityTests {
    static let names = ["tiny_attn", "class_cond", "no_mid_attn"]

    /// How many parameter gradients (`grad.*`) `make_fixtures.py` stores in each fixture's
    /// `io.safetensors`.
    static let storedGradients = ["tiny_attn": 19, "class_cond": 19, "no_mid_attn": 11]

    static func tensor(_ file: SafetensorsFile, _ name: String) throws -> Tensor {
        let stored = try file.tensor(named: name)
        return Tensor(shape: stored.shape, values: try stored.floats())
    }

    /// Largest difference relative to the largest expected magnitude (at least 1e-3:
    /// some gradients, like the attention key bias's, are exactly zero in theory).
    static func maxRelativeError(_ actual: [Float], _ expected: [Float]) -> Float {
        let scale = expected.map(abs).max() ?? 1
        return zip(actual, expected).map { abs($0 - $1) }.max()! / max(scale, 1e-3)
    }

    /// Each fixture with the default choice of convolution algorithm, and with each of the
    /// others forced wherever it applies (the fixtures' channels are too few for Winograd by
    /// default, and the default differs between GEMM libraries).
    @Test(arguments: names, [Conv2d.Algorithm.automatic, .im2col, .direct, .oneDNNWinograd, .winogradF2, .winogradF4])
    func forwardAndBackwardMatchDiffusers(name: String, convolution: Conv2d.Algorithm) throws {
        let folder = Fixtures.url("unet/\(name)")
        let config = try UNetConfig(contentsOf: folder.appendingPathComponent("config.json"))
        let unet = UNet2D(config: config)
        unet.setConvolutionAlgorithm(convolution)
        try unet.loadWeights(from: SafetensorsFile(contentsOf: folder.appendingPathComponent("diffusion_pytorch_model.safetensors")))
        let io = try SafetensorsFile(contentsOf: folder.appendingPathComponent("io.safetensors"))
        let sample = try Self.tensor(io, "sample")
        let timesteps = try io.tensor(named: "timestep").floats()
        let labels = try io["class_labels"].map { try $0.int64s().map { Int($0) } }

        let output = unet.forward(sample, timesteps: timesteps, classLabels: labels)
        let forwardError = Self.maxRelativeError(output.values, try Self.tensor(io, "output").values)
        #expect(forwardError < 1e-4, "\(name): forward max error \(forwardError) relative to the output's range")

        unet.zeroGradients()
        let dSample = unet.backward(try Self.tensor(io, "grad_output"))
        let sampleError = Self.maxRelativeError(dSample.values, try Self.tensor(io, "grad_sample").values)
        #expect(sampleError < 1e-3, "\(name): d sample max error \(sampleError)")
        let parameters = Dictionary(uniqueKeysWithValues: unet.namedParameters.map { ($0.name, $0.parameter) })
        var checked = 0
        for stored in io.tensors where stored.name.hasPrefix("grad.") {
            let parameterName = String(stored.name.dropFirst("grad.".count))
            let parameter = try #require(parameters[parameterName], "\(parameterName) is not a parameter")
            let error = Self.maxRelativeError(parameter.gradient.values, try stored.floats())
            #expect(error < 1e-3, "\(name): d \(parameterName) max error \(error)")
            checked += 1
        }
        #expect(checked == Self.storedGradients[name], "\(name): \(checked) parameter gradients compared")
    }

    @Test(arguments: names)
    func parameterNamesAreDiffusersStateDictKeys(name: String) throws {
        let folder = Fixtures.url("unet/\(name)")
        let config = try UNetConfig(contentsOf: folder.appendingPathComponent("config.json"))
        let weights = try SafetensorsFile(contentsOf: folder.appendingPathComponent("diffusion_pytorch_model.safetensors"))
        let ours = Set(UNet2D(config: config).namedParameters.map(\.name))
        #expect(ours == Set(weights.tensors.map(\.name)))
    }
}

/// Configurations that must be refused with the key named, never crash.
@Suite struct UNetConfigValidationTests {
    static let base = """
        {"_class_name": "UNet2DModel", "block_out_channels": [8, 16], "down_block_types": ["DownBlock2D", "AttnDownBlock2D"], \
        "in_channels": 1, "layers_per_block": 1, "norm_num_groups": 4, "out_channels": 1, "sample_size": 16, \
        "up_block_types": ["AttnUpBlock2D", "UpBlock2D"]
        """

    @Test(arguments: [
        ("\"attention_head_dim\": 0", "attention_head_dim"), ("\"attention_head_dim\": -8", "attention_head_dim"),
        ("\"attention_head_dim\": 3", "attention_head_dim"), ("\"act_fn\": \"gelu\"", "act_fn"),
        ("\"resnet_time_scale_shift\": \"scale_shift\"", "resnet_time_scale_shift"),
        ("\"downsample_padding\": 2", "downsample_padding"), ("\"norm_num_groups\": 3", "norm_num_groups"),
        ("\"class_embed_type\": \"timestep\"", "class_embed_type"), ("\"in_channels\": true", "in_channels"),
    ])
    func rejectsWithTheKey(extra: String, key: String) {
        let text = Self.base + ", " + extra + "}"
        do {
            _ = try UNetConfig(json: Data(text.utf8), source: "config.json")
            Issue.record("accepted \(extra)")
        } catch {
            #expect(error.reason.contains("\"\(key)\""), "\(error.reason)")
        }
    }

    @Test func acceptsTheBaseAndNotesUnknownKeys() throws {
        let config = try UNetConfig(json: Data((Self.base + ", \"some_future_key\": 1}").utf8), source: "config.json")
        #expect(config.ignoredKeys == ["some_future_key"])
        #expect(config.attentionHeadDim == 8)
    }
}

/// Weights saved under diffusers' legacy attention names load into the same model,
/// and weights that do not fit are listed.
@Suite struct UNetWeightNamesTests {
    static let folder = Fixtures.url("unet/tiny_attn")

    static func renamed(_ rename: (String) -> String?) throws -> SafetensorsFile {
        let original = try SafetensorsFile(contentsOf: folder.appendingPathComponent("diffusion_pytorch_model.safetensors"))
        let entries = try original.tensors.compactMap { tensor -> SafetensorsWriter.Entry? in
            guard let name = rename(tensor.name) else { return nil }
            return .float32(name, shape: tensor.shape, try tensor.floats())
        }
        return try SafetensorsFile(data: SafetensorsWriter.encode(entries), path: "renamed.safetensors")
    }

    @Test func legacyAttentionNamesLoad() throws {
        let config = try UNetConfig(contentsOf: Self.folder.appendingPathComponent("config.json"))
        let current = UNet2D(config: config), legacy = UNet2D(config: config)
        try current.loadWeights(from: Self.renamed { $0 })
        try legacy.loadWeights(from: Self.renamed { name in
            name.replacingOccurrences(of: ".to_q.", with: ".query.").replacingOccurrences(of: ".to_k.", with: ".key.")
                .replacingOccurrences(of: ".to_v.", with: ".value.").replacingOccurrences(of: ".to_out.0.", with: ".proj_attn.")
        })
        #expect(current.namedParameters.map { $0.parameter.value.values } == legacy.namedParameters.map { $0.parameter.value.values })
    }

    @Test func missingAndExtraTensorsAreListed() throws {
        let config = try UNetConfig(contentsOf: Self.folder.appendingPathComponent("config.json"))
        let file = try Self.renamed { $0 == "conv_out.bias" ? "conv_out.bias_typo" : $0 }
        do {
            try UNet2D(config: config).loadWeights(from: file)
            Issue.record("loaded weights with a missing tensor")
        } catch {
            #expect(error.reason.contains("missing: conv_out.bias"))
            #expect(error.reason.contains("unexpected: conv_out.bias_typo"))
        }
    }
}

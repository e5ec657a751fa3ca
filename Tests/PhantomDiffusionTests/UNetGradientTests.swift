import PhantomDiffusion
import PhantomLayers
import PhantomTensor
import PhantomTestSupport
import Testing

/// The whole U-Net's backward pass against finite differences, on small random models.
@Suite struct UNetGradientTests {
    static func model(classes: Int?, padding: Int, center: Bool, headDim: Int?) -> UNet2D {
        var config = UNetConfig(sampleSize: 8, inChannels: 1, outChannels: 1,
                                downBlockTypes: [.plain, .attention], upBlockTypes: [.attention, .plain],
                                blockOutChannels: [4, 8], layersPerBlock: 1)
        config.normNumGroups = 2
        config.attentionHeadDim = headDim
        config.numClassEmbeds = classes
        config.downsamplePadding = padding
        config.centerInputSample = center
        config.midBlockScaleFactor = 1.5
        let unet = UNet2D(config: config)
        unet.initializeParameters(seed: 7)
        // Move norms and biases off their trivial starting values.
        for (index, entry) in unet.namedParameters.enumerated() {
            let noise = Tensor(zeros: entry.parameter.shape)
            RandomStream(seed: 99, UInt32(index)).fillGaussian(noise.data, count: noise.count)
            for i in 0..<noise.count { entry.parameter.value.data[i] += 0.1 * noise.data[i] }
        }
        return unet
    }

    func check(_ unet: UNet2D, labels: [Int]?) {
        let x = Tensor(zeros: [2, 1, 8, 8])
        RandomStream(seed: 1).fillGaussian(x.data, count: x.count)
        let timesteps: [Float] = [3, 700]
        let y = unet.forward(x, timesteps: timesteps, classLabels: labels)
        let r = Tensor(zeros: y.shape)
        RandomStream(seed: 2).fillGaussian(r.data, count: r.count)
        unet.zeroGradients()
        let dx = unet.backward(r).values
        // One parameter of every kind of layer; the class embedding only where there is one.
        let wanted = ["conv_in.weight", "time_embedding.linear_1.weight", "class_embedding.weight",
                      "down_blocks.0.resnets.0.norm1.weight", "down_blocks.0.downsamplers.0.conv.weight",
                      "down_blocks.1.attentions.0.to_k.weight", "mid_block.attentions.0.to_out.0.bias",
                      "mid_block.resnets.1.time_emb_proj.weight", "up_blocks.0.resnets.1.conv_shortcut.weight",
                      "up_blocks.0.upsamplers.0.conv.bias", "up_blocks.1.resnets.0.conv2.weight",
                      "conv_norm_out.bias", "conv_out.weight"].filter { labels != nil || $0 != "class_embedding.weight" }
        let picked = unet.namedParameters.filter { wanted.contains($0.name) }
        // Exactly these: a renamed parameter must fail here, not drop out of the check.
        #expect(picked.map(\.name).sorted() == wanted.sorted())
        GradientCheck(epsilon: 1e-2, absolute: 1e-2, relative: 3e-2, samplesPerTensor: 6).check(
            name: "UNet2D",
            checked: [("sample", x)] + picked.map { ($0.name, $0.parameter.value) },
            analytic: [dx] + picked.map { $0.parameter.gradient.values },
            r: r, forward: { unet.forward(x, timesteps: timesteps, classLabels: labels) })
    }

    @Test func plainModelMatchesFiniteDifferences() {
        check(Self.model(classes: nil, padding: 1, center: false, headDim: 4), labels: nil)
    }

    @Test func classConditionalPaddingZeroCenteredMatchesFiniteDifferences() {
        check(Self.model(classes: 3, padding: 0, center: true, headDim: nil), labels: [2, 0])
    }
}

import PhantomLayers
import PhantomTensor

/// diffusers' `UpBlock2D` / `AttnUpBlock2D`: `layers` resnets, each fed the
/// previous output concatenated with one skip connection (taken from the end of
/// the down path's list) and followed by self-attention in the attention variant;
/// then an optional nearest 2× upsampling and 3×3 convolution (`upsamplers.0.conv`).
final class UpBlock: Module {
    let resnets: [ResnetBlock]
    let attentions: [SelfAttention]
    let concats: [ChannelConcat]
    let upsample: NearestUpsample2x?
    let upsampler: Conv2d?

    /// `skipChannels[j]` is the channel count of the skip consumed by resnet `j`.
    init(previousChannels: Int, outChannels: Int, skipChannels: [Int], attention: Bool, headDim: Int?,
         upsample: Bool, context: inout BlockContext) {
        var resnets: [ResnetBlock] = []
        for (layer, skip) in skipChannels.enumerated() {
            let input = (layer == 0 ? previousChannels : outChannels) + skip
            resnets.append(context.resnet(input, outChannels))
        }
        self.resnets = resnets
        concats = skipChannels.map { _ in ChannelConcat() }
        attentions = attention ? skipChannels.map { _ in context.attention(outChannels, headDim: headDim) } : []
        self.upsample = upsample ? NearestUpsample2x() : nil
        upsampler = upsample
            ? Conv2d(inChannels: outChannels, outChannels: outChannels, kernel: 3, padding: 1, workspace: context.workspace)
            : nil
    }

    func visitParameters(prefix: String, _ visit: (String, Parameter) -> Void) {
        for (index, resnet) in resnets.enumerated() {
            resnet.visitParameters(prefix: join(prefix, "resnets.\(index)"), visit)
        }
        for (index, attention) in attentions.enumerated() {
            attention.visitParameters(prefix: join(prefix, "attentions.\(index)"), visit)
        }
        upsampler?.visitParameters(prefix: join(prefix, "upsamplers.0.conv"), visit)
    }

    func visitConvolutions(_ visit: (Conv2d) -> Void) {
        for resnet in resnets { resnet.visitConvolutions(visit) }
        upsampler.map(visit)
    }

    /// `skips[j]` is concatenated before resnet `j`.
    func forward(_ x: Tensor, skips: [Tensor], time: Tensor, dropoutKey: DropoutKey?) -> Tensor {
        var h = x
        for (index, resnet) in resnets.enumerated() {
            h = resnet.forward(concats[index].forward(h, skips[index]), time: time, dropoutKey: dropoutKey)
            if !attentions.isEmpty { h = attentions[index].forward(h) }
        }
        if let upsample, let upsampler { h = upsampler.forward(upsample.forward(h)) }
        return h
    }

    /// Returns `dL/dx` and the gradient of each skip, in the order of `skips`.
    func backward(_ dy: Tensor, timeGradient: Tensor) -> (Tensor, [Tensor]) {
        var g = dy
        if let upsample, let upsampler { g = upsample.backward(upsampler.backward(g)) }
        var skipGradients: [Tensor] = []
        for index in stride(from: resnets.count - 1, through: 0, by: -1) {
            if !attentions.isEmpty { g = attentions[index].backward(g) }
            let (dh, dSkip) = concats[index].backward(resnets[index].backward(g, timeGradient: timeGradient))
            skipGradients.append(dSkip)
            g = dh
        }
        return (g, skipGradients.reversed())
    }
}

import PhantomLayers
import PhantomTensor

/// diffusers' `UNetMidBlock2D` with one layer: resnet, optional self-attention,
/// resnet, all scaled by `mid_block_scale_factor`.
final class MidBlock: Module {
    let first: ResnetBlock, second: ResnetBlock
    let attention: SelfAttention?

    init(channels: Int, headDim: Int?, attentionGroups: Int?, addAttention: Bool, scale: Float,
         context: inout BlockContext) {
        first = context.resnet(channels, channels, outputScale: scale)
        attention = addAttention
            ? context.attention(channels, headDim: headDim, groups: attentionGroups, rescale: scale) : nil
        second = context.resnet(channels, channels, outputScale: scale)
    }

    func visitParameters(prefix: String, _ visit: (String, Parameter) -> Void) {
        first.visitParameters(prefix: join(prefix, "resnets.0"), visit)
        attention?.visitParameters(prefix: join(prefix, "attentions.0"), visit)
        second.visitParameters(prefix: join(prefix, "resnets.1"), visit)
    }

    func visitConvolutions(_ visit: (Conv2d) -> Void) {
        first.visitConvolutions(visit)
        second.visitConvolutions(visit)
    }

    func forward(_ x: Tensor, time: Tensor, dropoutKey: DropoutKey?) -> Tensor {
        var h = first.forward(x, time: time, dropoutKey: dropoutKey)
        if let attention { h = attention.forward(h) }
        return second.forward(h, time: time, dropoutKey: dropoutKey)
    }

    func backward(_ dy: Tensor, timeGradient: Tensor) -> Tensor {
        var g = second.backward(dy, timeGradient: timeGradient)
        if let attention { g = attention.backward(g) }
        return first.backward(g, timeGradient: timeGradient)
    }
}

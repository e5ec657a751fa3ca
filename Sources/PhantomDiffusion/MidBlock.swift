import PhantomLayers
import PhantomTensor

/// diffusers' `UNetMidBlock2D` with one layer: resnet, optional self-attention,
/// resnet, all scaled by `mid_block_scale_factor`.
final class MidBlock: Module {
    let first: ResnetBlock, second: ResnetBlock
    let attention: SelfAttention?
    private let pool: TensorPool
    /// The inner outputs (the attention's and the second resnet's inputs), kept for backward.
    private var inner: [Tensor] = []

    init(channels: Int, headDim: Int?, attentionGroups: Int?, addAttention: Bool, scale: Float,
         context: inout BlockContext) {
        pool = context.workspace.pool
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

    /// The output is owned by the caller; `x` is only read.
    func forward(_ x: Tensor, time: Tensor, dropoutKey: DropoutKey?, keepForBackward: Bool) -> Tensor {
        releaseInner()
        var h = first.forward(x, time: time, dropoutKey: dropoutKey, keepForBackward: keepForBackward)
        inner.append(h)
        if let attention {
            h = attention.forward(h, keepForBackward: keepForBackward)
            inner.append(h)
        }
        let y = second.forward(h, time: time, dropoutKey: dropoutKey, keepForBackward: keepForBackward)
        if !keepForBackward { releaseInner() }
        return y
    }

    /// Returns `dL/dx` (owned by the caller; `dy` is only read).
    func backward(_ dy: Tensor, timeGradient: Tensor) -> Tensor {
        var g = second.backward(dy, timeGradient: timeGradient)
        if let attention {
            let next = attention.backward(g)
            pool.give(g)
            g = next
        }
        let dx = first.backward(g, timeGradient: timeGradient)
        pool.give(g)
        releaseInner()
        return dx
    }

    private func releaseInner() {
        for tensor in inner { pool.give(tensor) }
        inner.removeAll(keepingCapacity: true)
    }
}

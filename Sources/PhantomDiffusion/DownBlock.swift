import PhantomLayers
import PhantomTensor

/// diffusers' `DownBlock2D` / `AttnDownBlock2D`: `layers` resnets, each followed by
/// self-attention in the attention variant, then an optional stride-2 3×3
/// convolution (`downsamplers.0.conv`). Every resnet(+attention) output and the
/// downsampled output are kept as skip connections for the up path.
final class DownBlock: Module {
    let resnets: [ResnetBlock]
    let attentions: [SelfAttention]
    let downsampler: Conv2d?
    private let pool: TensorPool
    /// The resnet outputs the attentions read, kept for their backward.
    private var attentionInputs: [Tensor] = []

    init(inChannels: Int, outChannels: Int, layers: Int, attention: Bool, headDim: Int?,
         downsample: Bool, padding: Int, context: inout BlockContext) {
        var resnets: [ResnetBlock] = []
        for layer in 0..<layers {
            resnets.append(context.resnet(layer == 0 ? inChannels : outChannels, outChannels))
        }
        self.resnets = resnets
        pool = context.workspace.pool
        attentions = attention ? (0..<layers).map { _ in context.attention(outChannels, headDim: headDim) } : []
        // downsample_padding = 0 pads one row and column on the bottom and right only.
        downsampler = downsample
            ? Conv2d(inChannels: outChannels, outChannels: outChannels, kernel: 3, stride: 2,
                     pad: padding == 0 ? (0, 0, 1, 1) : (padding, padding, padding, padding),
                     workspace: context.workspace)
            : nil
    }

    func visitParameters(prefix: String, _ visit: (String, Parameter) -> Void) {
        for (index, resnet) in resnets.enumerated() {
            resnet.visitParameters(prefix: join(prefix, "resnets.\(index)"), visit)
        }
        for (index, attention) in attentions.enumerated() {
            attention.visitParameters(prefix: join(prefix, "attentions.\(index)"), visit)
        }
        downsampler?.visitParameters(prefix: join(prefix, "downsamplers.0.conv"), visit)
    }

    func visitConvolutions(_ visit: (Conv2d) -> Void) {
        for resnet in resnets { resnet.visitConvolutions(visit) }
        downsampler.map(visit)
    }

    /// Number of skip connections this block emits.
    var outputCount: Int { resnets.count + (downsampler == nil ? 0 : 1) }

    /// The block's output states, in order, owned by the caller; the last is the
    /// input of the next block. `x` is only read.
    func forward(_ x: Tensor, time: Tensor, dropoutKey: DropoutKey?, keepForBackward: Bool) -> [Tensor] {
        releaseAttentionInputs()
        var states: [Tensor] = []
        var h = x
        for (index, resnet) in resnets.enumerated() {
            h = resnet.forward(h, time: time, dropoutKey: dropoutKey, keepForBackward: keepForBackward)
            if !attentions.isEmpty {
                let input = h
                h = attentions[index].forward(input, keepForBackward: keepForBackward)
                if keepForBackward { attentionInputs.append(input) } else { pool.give(input) }
            }
            states.append(h)
        }
        if let downsampler {
            h = downsampler.forward(h, keepForBackward: keepForBackward)
            states.append(h)
        }
        return states
    }

    /// Given the gradient reaching each output state (from the skips and, for the
    /// last, from the next block), returns `dL/dx` (owned by the caller; `gradients`
    /// are only read).
    func backward(_ gradients: [Tensor], timeGradient: Tensor) -> Tensor {
        var stage = gradients.count - 1
        var g = gradients[stage]
        if let downsampler {
            g = downsampler.backward(g)
            stage -= 1
            accumulate(gradients[stage], into: g)
        }
        for index in stride(from: resnets.count - 1, through: 0, by: -1) {
            if !attentions.isEmpty { g = consume(g, attentions[index].backward(g), gradients) }
            g = consume(g, resnets[index].backward(g, timeGradient: timeGradient), gradients)
            if index > 0 {
                stage -= 1
                accumulate(gradients[stage], into: g)
            }
        }
        releaseAttentionInputs()
        return g
    }

    /// Gives `used` back unless it is one of the caller's `gradients`, and returns `next`.
    private func consume(_ used: Tensor, _ next: Tensor, _ gradients: [Tensor]) -> Tensor {
        if !gradients.contains(where: { $0 === used }) { pool.give(used) }
        return next
    }

    private func releaseAttentionInputs() {
        for input in attentionInputs { pool.give(input) }
        attentionInputs.removeAll(keepingCapacity: true)
    }
}

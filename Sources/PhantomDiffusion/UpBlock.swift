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
    private let pool: TensorPool
    /// What backward reads of the forward's intermediates: the concatenations, the
    /// attentions' inputs and the upsampled tensor.
    private var kept: [Tensor] = []

    /// `skipChannels[j]` is the channel count of the skip consumed by resnet `j`.
    init(previousChannels: Int, outChannels: Int, skipChannels: [Int], attention: Bool, headDim: Int?,
         upsample: Bool, context: inout BlockContext) {
        var resnets: [ResnetBlock] = []
        for (layer, skip) in skipChannels.enumerated() {
            let input = (layer == 0 ? previousChannels : outChannels) + skip
            resnets.append(context.resnet(input, outChannels))
        }
        self.resnets = resnets
        pool = context.workspace.pool
        concats = skipChannels.map { _ in ChannelConcat(workspace: context.workspace) }
        attentions = attention ? skipChannels.map { _ in context.attention(outChannels, headDim: headDim) } : []
        self.upsample = upsample ? NearestUpsample2x(workspace: context.workspace) : nil
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

    /// `skips[j]` is concatenated before resnet `j`. `x` and `skips` are only read
    /// (backward does not need `x`); the output is owned by the caller.
    func forward(_ x: Tensor, skips: [Tensor], time: Tensor, dropoutKey: DropoutKey?, keepForBackward: Bool) -> Tensor {
        release(kept)
        kept.removeAll(keepingCapacity: true)
        var h = x
        for (index, resnet) in resnets.enumerated() {
            let joined = concats[index].forward(h, skips[index])
            if h !== x { pool.give(h) }
            h = resnet.forward(joined, time: time, dropoutKey: dropoutKey, keepForBackward: keepForBackward)
            keep(joined, keepForBackward)
            if !attentions.isEmpty {
                let input = h
                h = attentions[index].forward(input, keepForBackward: keepForBackward)
                keep(input, keepForBackward)
            }
        }
        if let upsample, let upsampler {
            let upsampled = upsample.forward(h)
            if h !== x { pool.give(h) }
            h = upsampler.forward(upsampled, keepForBackward: keepForBackward)
            keep(upsampled, keepForBackward)
        }
        return h
    }

    /// Returns `dL/dx` and the gradient of each skip, in the order of `skips`, all
    /// owned by the caller (`dy` is only read).
    func backward(_ dy: Tensor, timeGradient: Tensor) -> (Tensor, [Tensor]) {
        var g = dy
        if let upsample, let upsampler {
            let dUpsampled = upsampler.backward(g)
            g = upsample.backward(dUpsampled)
            pool.give(dUpsampled)
        }
        var skipGradients: [Tensor] = []
        for index in stride(from: resnets.count - 1, through: 0, by: -1) {
            if !attentions.isEmpty { g = replace(g, by: attentions[index].backward(g), keeping: dy) }
            let dJoined = resnets[index].backward(g, timeGradient: timeGradient)
            let (dh, dSkip) = concats[index].backward(dJoined)
            pool.give(dJoined)
            skipGradients.append(dSkip)
            g = replace(g, by: dh, keeping: dy)
        }
        release(kept)
        kept.removeAll(keepingCapacity: true)
        return (g, skipGradients.reversed())
    }

    /// Keeps `tensor` for backward, or gives it back now.
    private func keep(_ tensor: Tensor, _ keepForBackward: Bool) {
        if keepForBackward { kept.append(tensor) } else { pool.give(tensor) }
    }

    /// Gives `used` back (unless it is the caller's `dy`) and returns `next`.
    private func replace(_ used: Tensor, by next: Tensor, keeping dy: Tensor) -> Tensor {
        if used !== dy { pool.give(used) }
        return next
    }

    private func release(_ tensors: [Tensor]) {
        for tensor in tensors { pool.give(tensor) }
    }
}

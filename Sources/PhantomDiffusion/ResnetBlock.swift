import PhantomLayers
import PhantomTensor

/// diffusers' `ResnetBlock2D` with `time_embedding_norm="default"`:
/// `h = conv1(silu(norm1(x))) + time_emb_proj(silu(temb))`,
/// `h = conv2(dropout(silu(norm2(h))))`, output `(shortcut(x) + h) / output_scale_factor`,
/// where the shortcut is a 1×1 convolution when the channel count changes.
///
/// The block receives `silu(temb)` already computed (it is shared by every block).
final class ResnetBlock: Module {
    let norm1: GroupNorm, conv1: Conv2d, timeProjection: Linear
    let norm2: GroupNorm, conv2: Conv2d, shortcut: Conv2d?
    let activation1 = SiLU(), activation2 = SiLU()
    let dropout: Dropout
    let outputScale: Float
    /// This block's number among the model's dropout layers.
    let dropoutLayer: Int

    private var output: Tensor?
    private var scaledGradient: Tensor?
    private var timeGradient: Tensor?

    init(inChannels: Int, outChannels: Int, timeChannels: Int, groups: Int, epsilon: Float,
         dropout: Float, outputScale: Float, dropoutLayer: Int, workspace: Workspace) {
        norm1 = GroupNorm(groups: groups, channels: inChannels, epsilon: epsilon, workspace: workspace)
        conv1 = Conv2d(inChannels: inChannels, outChannels: outChannels, kernel: 3, padding: 1, workspace: workspace)
        timeProjection = Linear(inFeatures: timeChannels, outFeatures: outChannels)
        norm2 = GroupNorm(groups: groups, channels: outChannels, epsilon: epsilon, workspace: workspace)
        conv2 = Conv2d(inChannels: outChannels, outChannels: outChannels, kernel: 3, padding: 1, workspace: workspace)
        shortcut = inChannels == outChannels ? nil
            : Conv2d(inChannels: inChannels, outChannels: outChannels, kernel: 1, workspace: workspace)
        self.dropout = Dropout(probability: dropout)
        self.outputScale = outputScale
        self.dropoutLayer = dropoutLayer
    }

    func visitParameters(prefix: String, _ visit: (String, Parameter) -> Void) {
        norm1.visitParameters(prefix: join(prefix, "norm1"), visit)
        conv1.visitParameters(prefix: join(prefix, "conv1"), visit)
        timeProjection.visitParameters(prefix: join(prefix, "time_emb_proj"), visit)
        norm2.visitParameters(prefix: join(prefix, "norm2"), visit)
        conv2.visitParameters(prefix: join(prefix, "conv2"), visit)
        shortcut?.visitParameters(prefix: join(prefix, "conv_shortcut"), visit)
    }

    func visitConvolutions(_ visit: (Conv2d) -> Void) {
        visit(conv1)
        visit(conv2)
        shortcut.map(visit)
    }

    /// `x` `[B, in, H, W]` and `time` = `silu(temb)` `[B, T]` → `[B, out, H, W]`.
    func forward(_ x: Tensor, time: Tensor, dropoutKey: DropoutKey?) -> Tensor {
        let h = conv1.forward(activation1.forward(norm1.forward(x)))
        let projected = timeProjection.forward(time)
        let batch = h.shape[0], channels = h.shape[1], pixels = h.count / (batch * channels)
        for plane in 0..<(batch * channels) {
            let shift = projected.data[plane], line = h.data + plane * pixels
            for p in 0..<pixels { line[p] += shift }
        }
        let dropped = dropout.forward(activation2.forward(norm2.forward(h)),
                                      streams: dropoutKey?.streams(layer: dropoutLayer))
        let residual = conv2.forward(dropped)
        let skip = shortcut?.forward(x) ?? x
        let y = Tensor.reusing(output, shape: residual.shape)
        output = y
        let inverse = 1 / outputScale
        for i in 0..<y.count { y.data[i] = (skip.data[i] + residual.data[i]) * inverse }
        return y
    }

    /// Returns `dL/dx` and adds `dL/d silu(temb)` into `timeGradient`.
    func backward(_ dy: Tensor, timeGradient accumulated: Tensor) -> Tensor {
        let scaled = Tensor.reusing(scaledGradient, shape: dy.shape)
        scaledGradient = scaled
        let inverse = 1 / outputScale
        for i in 0..<dy.count { scaled.data[i] = dy.data[i] * inverse }
        let dh = norm2.backward(activation2.backward(dropout.backward(conv2.backward(scaled))))
        let batch = dh.shape[0], channels = dh.shape[1], pixels = dh.count / (batch * channels)
        let dProjected = Tensor.reusing(timeGradient, shape: [batch, channels])
        timeGradient = dProjected
        for plane in 0..<(batch * channels) {
            let line = dh.data + plane * pixels
            var sum: Float = 0
            for p in 0..<pixels { sum += line[p] }
            dProjected.data[plane] = sum
        }
        let dTime = timeProjection.backward(dProjected)
        for i in 0..<dTime.count { accumulated.data[i] += dTime.data[i] }
        let dx = norm1.backward(activation1.backward(conv1.backward(dh)))
        let dSkip = shortcut?.backward(scaled) ?? scaled
        accumulate(dSkip, into: dx)
        return dx
    }
}

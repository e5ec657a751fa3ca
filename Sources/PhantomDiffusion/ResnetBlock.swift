import PhantomLayers
import PhantomTensor

/// diffusers' `ResnetBlock2D` with `time_embedding_norm="default"`:
/// `h = conv1(silu(norm1(x))) + time_emb_proj(silu(temb))`,
/// `h = conv2(dropout(silu(norm2(h))))`, output `(shortcut(x) + h) / output_scale_factor`,
/// where the shortcut is a 1×1 convolution when the channel count changes.
///
/// The block receives `silu(temb)` already computed (it is shared by every block).
/// It keeps `h` for backward; the convolutions' inputs `silu(norm(·))` live in the
/// workspace's recomputed tensors and are rebuilt from the norms' statistics
/// before each convolution's backward.
final class ResnetBlock: Module {
    let norm1: GroupNorm, conv1: Conv2d, timeProjection: Linear
    let norm2: GroupNorm, conv2: Conv2d, shortcut: Conv2d?
    let dropout: Dropout
    let outputScale: Float
    /// This block's number among the model's dropout layers.
    let dropoutLayer: Int
    private let workspace: Workspace

    /// conv1's output (norm2's input), kept for backward.
    private var hidden: Tensor?
    /// The tensors conv1 and conv2 read; nil for conv2 when it read dropout's own output.
    private var conv1Input: Tensor?, conv2Input: Tensor?
    /// Dropout's output, conv2's input, kept until backward (a pool tensor).
    private var droppedInput: Tensor?
    private var timeGradient: Tensor?

    init(inChannels: Int, outChannels: Int, timeChannels: Int, groups: Int, epsilon: Float,
         dropout: Float, outputScale: Float, dropoutLayer: Int, workspace: Workspace) {
        self.workspace = workspace
        norm1 = GroupNorm(groups: groups, channels: inChannels, epsilon: epsilon, appliesSiLU: true, workspace: workspace)
        conv1 = Conv2d(inChannels: inChannels, outChannels: outChannels, kernel: 3, padding: 1, workspace: workspace)
        timeProjection = Linear(inFeatures: timeChannels, outFeatures: outChannels)
        norm2 = GroupNorm(groups: groups, channels: outChannels, epsilon: epsilon, appliesSiLU: true, workspace: workspace)
        conv2 = Conv2d(inChannels: outChannels, outChannels: outChannels, kernel: 3, padding: 1, workspace: workspace)
        shortcut = inChannels == outChannels ? nil
            : Conv2d(inChannels: inChannels, outChannels: outChannels, kernel: 1, workspace: workspace)
        self.dropout = Dropout(probability: dropout, pool: workspace.pool)
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

    /// `x` `[B, in, H, W]` and `time` = `silu(temb)` `[B, T]` → `[B, out, H, W]`, owned
    /// by the caller (`x` is only read; backward needs it unchanged when kept).
    func forward(_ x: Tensor, time: Tensor, dropoutKey: DropoutKey?, keepForBackward: Bool) -> Tensor {
        let pool = workspace.pool
        if let hidden { pool.give(hidden) }
        if let droppedInput { pool.give(droppedInput) }
        droppedInput = nil
        let a1 = norm1.forward(x, into: workspace.recomputed(x.shape))
        let h = conv1.forward(a1, keepForBackward: keepForBackward)
        let projected = timeProjection.forward(time)
        let batch = h.shape[0], channels = h.shape[1], pixels = h.count / (batch * channels)
        for plane in 0..<(batch * channels) {
            let shift = projected.data[plane], line = h.data + plane * pixels
            for p in 0..<pixels { line[p] += shift }
        }
        let a2 = norm2.forward(h, into: workspace.recomputed(h.shape))
        let dropped = dropout.forward(a2, streams: dropoutKey?.streams(layer: dropoutLayer), keepForBackward: keepForBackward)
        let y = conv2.forward(dropped, keepForBackward: keepForBackward)
        if keepForBackward {
            (hidden, conv1Input, conv2Input) = (h, a1, dropped === a2 ? a2 : nil)
            droppedInput = dropped === a2 ? nil : dropped
        } else {
            pool.give(h)
            if dropped !== a2 { pool.give(dropped) }
            hidden = nil
        }
        let skip = shortcut?.forward(x, keepForBackward: keepForBackward) ?? x
        let inverse = 1 / outputScale
        for i in 0..<y.count { y.data[i] = (skip.data[i] + y.data[i]) * inverse }
        if skip !== x { pool.give(skip) }
        return y
    }

    /// Returns `dL/dx` (owned by the caller; `dy` is only read) and adds
    /// `dL/d silu(temb)` into `timeGradient`.
    func backward(_ dy: Tensor, timeGradient accumulated: Tensor) -> Tensor {
        guard let h = hidden, let a1 = conv1Input else { preconditionFailure("ResnetBlock.backward before forward") }
        let pool = workspace.pool
        var scaled = dy
        if outputScale != 1 {
            scaled = pool.take(dy.shape)
            let inverse = 1 / outputScale
            for i in 0..<dy.count { scaled.data[i] = dy.data[i] * inverse }
        }
        if let a2 = conv2Input { norm2.recompute(into: a2) }
        let dConv2 = conv2.backward(scaled)
        if let droppedInput { pool.give(droppedInput) }
        droppedInput = nil
        let dDropped = dropout.backward(dConv2)
        if dDropped !== dConv2 { pool.give(dConv2) }
        let dh = norm2.backward(dDropped)   // in place: dh is dDropped, given back below
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
        norm1.recompute(into: a1)
        let dx = norm1.backward(conv1.backward(dh))
        pool.give(dh)
        pool.give(h)
        hidden = nil
        if let shortcut {
            let dSkip = shortcut.backward(scaled)
            accumulate(dSkip, into: dx)
            pool.give(dSkip)
        } else {
            accumulate(scaled, into: dx)
        }
        if scaled !== dy { pool.give(scaled) }
        return dx
    }
}

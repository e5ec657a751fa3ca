import Foundation
import PhantomTensor

/// Spatial self-attention as in diffusers' `Attention` inside `AttnDownBlock2D`,
/// `AttnUpBlock2D` and `UNetMidBlock2D`: GroupNorm, `to_q`/`to_k`/`to_v` over the
/// H·W tokens, `heads` heads of `channels/heads` channels each,
/// `softmax(QKᵀ/√d)V`, `to_out.0`, then `(out + x) / rescale`.
///
/// Each (image, head) runs as one ``AttentionKernel``: the softmax weights are never
/// stored, only two numbers per query token, and backward recomputes them.
public final class SelfAttention: Module {
    public let channels: Int, heads: Int
    public let rescale: Float
    public let groupNorm: GroupNorm
    public let query: ChannelLinear, key: ChannelLinear, value: ChannelLinear, output: ChannelLinear
    private let workspace: Workspace

    private var statistics: Tensor?
    private var attended: Tensor?
    private var result: Tensor?
    private var scaledGradient: Tensor?
    private var queryGradient: Tensor?, keyGradient: Tensor?, valueGradient: Tensor?
    private var normalizedGradient: Tensor?
    private var queries: Tensor?, keys: Tensor?, values: Tensor?

    /// `channels` must be divisible by `heads`.
    public init(channels: Int, heads: Int, groups: Int, epsilon: Float, rescale: Float,
                workspace: Workspace = Workspace()) {
        precondition(heads > 0 && channels % heads == 0, "attention: \(channels) channels in \(heads) heads")
        self.channels = channels
        self.heads = heads
        self.rescale = rescale
        self.workspace = workspace
        groupNorm = GroupNorm(groups: groups, channels: channels, epsilon: epsilon, workspace: workspace)
        query = ChannelLinear(inFeatures: channels, outFeatures: channels, workspace: workspace)
        key = ChannelLinear(inFeatures: channels, outFeatures: channels, workspace: workspace)
        value = ChannelLinear(inFeatures: channels, outFeatures: channels, workspace: workspace)
        output = ChannelLinear(inFeatures: channels, outFeatures: channels, workspace: workspace)
    }

    public func visitParameters(prefix: String, _ visit: (String, Parameter) -> Void) {
        groupNorm.visitParameters(prefix: join(prefix, "group_norm"), visit)
        query.visitParameters(prefix: join(prefix, "to_q"), visit)
        key.visitParameters(prefix: join(prefix, "to_k"), visit)
        value.visitParameters(prefix: join(prefix, "to_v"), visit)
        output.visitParameters(prefix: join(prefix, "to_out.0"), visit)
    }

    private var headDimension: Int { channels / heads }

    /// `x` `[B, C, H, W]` → `[B, C, H, W]`.
    public func forward(_ x: Tensor) -> Tensor {
        let batch = x.shape[0], tokens = x.count / (batch * channels)
        let normalized = groupNorm.forward(x)
        let q = query.forward(normalized), k = key.forward(normalized), v = value.forward(normalized)
        queries = q
        keys = k
        values = v
        let stats = Tensor.reusing(statistics, shape: [batch, heads, tokens, 2])
        statistics = stats
        let o = Tensor.reusing(attended, shape: x.shape)
        attended = o
        let d = headDimension
        let kernel = AttentionKernel(tokens: tokens, depth: d, scale: 1 / Float(d).squareRoot())
        let scratch = workspace.perWorker(slots: 1, counts: [kernel.scratchCount])
        let qData = q.data, kData = k.data, vData = v.data, sData = stats.data, oData = o.data
        let channelCount = channels, headCount = heads
        Profiler.measure(.attention) {
            Parallel.forEach(batch * heads) { piece, worker in
                let image = piece / headCount, head = piece % headCount
                let offset = (image * channelCount + head * d) * tokens
                kernel.forward(q: qData + offset, k: kData + offset, v: vData + offset, o: oData + offset,
                               statistics: sData + piece * tokens * 2, scratch: scratch[worker, 0])
            }
        }
        Profiler.countFlops(4 * batch * heads * tokens * tokens * d)   // QKᵀ and PV as products
        let projected = output.forward(o)
        let y = Tensor.reusing(result, shape: x.shape)
        result = y
        let inverse = 1 / rescale
        for i in 0..<y.count { y.data[i] = (projected.data[i] + x.data[i]) * inverse }
        return y
    }

    /// Accumulates every parameter gradient and returns `dL/dx`.
    public func backward(_ dy: Tensor) -> Tensor {
        guard let q = queries, let k = keys, let v = values, let stats = statistics else {
            preconditionFailure("SelfAttention.backward before forward")
        }
        let batch = dy.shape[0], tokens = dy.count / (batch * channels)
        let inverse = 1 / rescale
        let scaled = Tensor.reusing(scaledGradient, shape: dy.shape)
        scaledGradient = scaled
        for i in 0..<dy.count { scaled.data[i] = dy.data[i] * inverse }
        let dAttended = output.backward(scaled)
        let dq = Tensor.reusing(queryGradient, shape: q.shape)
        let dk = Tensor.reusing(keyGradient, shape: k.shape)
        let dv = Tensor.reusing(valueGradient, shape: v.shape)
        queryGradient = dq
        keyGradient = dk
        valueGradient = dv
        let d = headDimension
        let kernel = AttentionKernel(tokens: tokens, depth: d, scale: 1 / Float(d).squareRoot())
        let scratch = workspace.perWorker(slots: 1, counts: [kernel.scratchCount])
        let qData = q.data, kData = k.data, vData = v.data, sData = stats.data, doData = dAttended.data
        let dqData = dq.data, dkData = dk.data, dvData = dv.data
        let channelCount = channels, headCount = heads
        Profiler.measure(.attention) {
            Parallel.forEach(batch * heads) { piece, worker in
                let image = piece / headCount, head = piece % headCount
                let offset = (image * channelCount + head * d) * tokens
                (dkData + offset).update(repeating: 0, count: d * tokens)
                (dvData + offset).update(repeating: 0, count: d * tokens)
                kernel.backward(q: qData + offset, k: kData + offset, v: vData + offset,
                                outputGradient: doData + offset, statistics: sData + piece * tokens * 2,
                                dq: dqData + offset, dk: dkData + offset, dv: dvData + offset,
                                scratch: scratch[worker, 0])
            }
        }
        Profiler.countFlops(8 * batch * heads * tokens * tokens * d)   // the four products of backward
        let dNormalized = Tensor.reusing(normalizedGradient, shape: dy.shape)
        normalizedGradient = dNormalized
        dNormalized.copy(from: query.backward(dq))
        let fromKey = key.backward(dk)
        for i in 0..<dNormalized.count { dNormalized.data[i] += fromKey.data[i] }
        let fromValue = value.backward(dv)
        for i in 0..<dNormalized.count { dNormalized.data[i] += fromValue.data[i] }
        let dx = groupNorm.backward(dNormalized)
        for i in 0..<dx.count { dx.data[i] += scaled.data[i] }
        return dx
    }
}

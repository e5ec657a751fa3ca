import Foundation
import PhantomTensor

/// Spatial self-attention as in diffusers' `Attention` inside `AttnDownBlock2D`,
/// `AttnUpBlock2D` and `UNetMidBlock2D`: GroupNorm, `to_q`/`to_k`/`to_v` over the
/// H·W tokens, `heads` heads of `channels/heads` channels each,
/// `softmax(QKᵀ/√d)V`, `to_out.0`, then `(out + x) / rescale`.
///
/// Each (image, head) runs as one ``AttentionKernel``: the softmax weights are never
/// stored, only two numbers per query token, and backward recomputes them. For
/// backward the layer keeps Q, K, V, the attended values and those statistics, taken
/// from the workspace's pool and given back by backward (or by the next forward); the
/// normalised input is recomputed. Without `keepForBackward` it keeps nothing.
public final class SelfAttention: Module {
    public let channels: Int, heads: Int
    public let rescale: Float
    public let groupNorm: GroupNorm
    public let query: ChannelLinear, key: ChannelLinear, value: ChannelLinear, output: ChannelLinear
    private let workspace: Workspace

    /// What the last forward kept for backward: Q, K, V, the attended values (the
    /// output projection's input, which it reads again in backward), each query's
    /// softmax maximum and reciprocal sum.
    private var kept: (q: Tensor, k: Tensor, v: Tensor, attended: Tensor, statistics: Tensor)?
    /// The tensor the projections read the normalised input from.
    private var normalized: Tensor?

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

    /// `x` `[B, C, H, W]` → `[B, C, H, W]` (the caller owns the result; `x` is only read).
    public func forward(_ x: Tensor, keepForBackward: Bool = true) -> Tensor {
        releaseKept()
        let pool = workspace.pool
        let batch = x.shape[0], tokens = x.count / (batch * channels)
        let normalized = groupNorm.forward(x, into: workspace.recomputed(x.shape))
        self.normalized = normalized
        let q = query.forward(normalized), k = key.forward(normalized), v = value.forward(normalized)
        let o = pool.take(x.shape)
        let stats = pool.take([batch, heads, tokens, 2])
        let d = headDimension
        let kernel = AttentionKernel(tokens: tokens, depth: d, scale: 1 / Float(d).squareRoot())
        let qData = q.data, kData = k.data, vData = v.data, sData = stats.data, oData = o.data
        forEachHead(batch: batch, tokens: tokens, scratchCount: kernel.forwardScratchCount) { piece, offset, scratch in
            kernel.forward(q: qData + offset, k: kData + offset, v: vData + offset, o: oData + offset,
                           statistics: sData + piece * tokens * 2, scratch: scratch)
        }
        Profiler.countFlops(4 * batch * heads * tokens * tokens * d)   // QKᵀ and PV as products
        let y = output.forward(o)
        if keepForBackward {
            kept = (q, k, v, o, stats)
        } else {
            for tensor in [q, k, v, o, stats] { pool.give(tensor) }
        }
        let inverse = 1 / rescale
        for i in 0..<y.count { y.data[i] = (y.data[i] + x.data[i]) * inverse }
        return y
    }

    /// Runs `body(piece, offset, scratch)` for every (image, head) piece of a `[B, C, tokens]`
    /// batch on the workers, with the offset of the head's `[d, tokens]` rows and
    /// `scratchCount` floats of the worker's scratch; timed as attention.
    private func forEachHead(batch: Int, tokens: Int, scratchCount: Int,
                             _ body: (_ piece: Int, _ offset: Int, _ scratch: UnsafeMutablePointer<Float>) -> Void) {
        let channelCount = channels, headCount = heads, d = headDimension
        workspace.withScratch {
            let scratch = workspace.perWorker(slots: 1, counts: [scratchCount])
            Profiler.measure(.attention) {
                Parallel.forEach(batch * headCount) { piece, worker in
                    let image = piece / headCount, head = piece % headCount
                    body(piece, (image * channelCount + head * d) * tokens, scratch[worker, 0])
                }
            }
        }
    }

    /// Accumulates every parameter gradient and returns `dL/dx` (owned by the caller;
    /// `dy` is only read).
    public func backward(_ dy: Tensor) -> Tensor {
        guard let (q, k, v, _, stats) = kept, let normalized else {
            preconditionFailure("SelfAttention.backward before forward")
        }
        let pool = workspace.pool
        let batch = dy.shape[0], tokens = dy.count / (batch * channels)
        var scaled = dy
        if rescale != 1 {
            scaled = pool.take(dy.shape)
            let inverse = 1 / rescale
            for i in 0..<dy.count { scaled.data[i] = dy.data[i] * inverse }
        }
        let dAttended = output.backward(scaled)
        let dq = pool.take(q.shape), dk = pool.take(k.shape), dv = pool.take(v.shape)
        let d = headDimension
        let kernel = AttentionKernel(tokens: tokens, depth: d, scale: 1 / Float(d).squareRoot())
        let qData = q.data, kData = k.data, vData = v.data, sData = stats.data, doData = dAttended.data
        let dqData = dq.data, dkData = dk.data, dvData = dv.data
        forEachHead(batch: batch, tokens: tokens, scratchCount: kernel.backwardScratchCount) { piece, offset, scratch in
            (dkData + offset).update(repeating: 0, count: d * tokens)
            (dvData + offset).update(repeating: 0, count: d * tokens)
            kernel.backward(q: qData + offset, k: kData + offset, v: vData + offset,
                            outputGradient: doData + offset, statistics: sData + piece * tokens * 2,
                            dq: dqData + offset, dk: dkData + offset, dv: dvData + offset, scratch: scratch)
        }
        Profiler.countFlops(8 * batch * heads * tokens * tokens * d)   // the four products of backward
        pool.give(dAttended)
        releaseKept()
        // The projections read the normalised input again in their backward.
        groupNorm.recompute(into: normalized)
        let dNormalized = query.backward(dq)
        pool.give(dq)
        for (projection, gradient) in [(key, dk), (value, dv)] {
            let part = projection.backward(gradient)
            pool.give(gradient)
            for i in 0..<dNormalized.count { dNormalized.data[i] += part.data[i] }
            pool.give(part)
        }
        let dx = groupNorm.backward(dNormalized)
        for i in 0..<dx.count { dx.data[i] += scaled.data[i] }
        if scaled !== dy { pool.give(scaled) }
        return dx
    }

    /// Gives what the last forward kept back to the pool.
    private func releaseKept() {
        guard let kept else { return }
        for tensor in [kept.q, kept.k, kept.v, kept.attended, kept.statistics] { workspace.pool.give(tensor) }
        self.kept = nil
    }
}

import Foundation
import PhantomTensor

/// Spatial self-attention as in diffusers' `Attention` inside `AttnDownBlock2D`,
/// `AttnUpBlock2D` and `UNetMidBlock2D`: GroupNorm, `to_q`/`to_k`/`to_v` over the
/// H·W tokens, `heads` heads of `channels/heads` channels each,
/// `softmax(QKᵀ/√d)V`, `to_out.0`, then `(out + x) / rescale`.
///
/// The softmax weights of every (image, head) are kept from forward for backward:
/// `B·heads·(HW)²` floats.
public final class SelfAttention: Module {
    public let channels: Int, heads: Int
    public let rescale: Float
    public let groupNorm: GroupNorm
    public let query: ChannelLinear, key: ChannelLinear, value: ChannelLinear, output: ChannelLinear
    private let workspace: Workspace

    private var probabilities: Tensor?
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
        let p = Tensor.reusing(probabilities, shape: [batch, heads, tokens, tokens])
        probabilities = p
        let o = Tensor.reusing(attended, shape: x.shape)
        attended = o
        let d = headDimension, scale = 1 / Float(d).squareRoot()
        let qData = q.data, kData = k.data, vData = v.data, pData = p.data, oData = o.data
        let channelCount = channels, headCount = heads
        Profiler.measure(.attention) {
            Parallel.forEach(batch * heads) { piece, _ in
                let image = piece / headCount, head = piece % headCount
                let offset = (image * channelCount + head * d) * tokens
                let weights = pData + piece * tokens * tokens
                // S = scale · Qᵀ K, one row per query token.
                gemm(transposeA: true, m: tokens, n: tokens, k: d, alpha: scale, a: qData + offset, lda: tokens,
                     b: kData + offset, ldb: tokens, c: weights, ldc: tokens)
                Self.softmaxRows(weights, rows: tokens, columns: tokens)
                // O = V Pᵀ  ([d, tokens]).
                gemm(transposeB: true, m: d, n: tokens, k: tokens, a: vData + offset, lda: tokens,
                     b: weights, ldb: tokens, c: oData + offset, ldc: tokens)
            }
        }
        let projected = output.forward(o)
        let y = Tensor.reusing(result, shape: x.shape)
        result = y
        let inverse = 1 / rescale
        for i in 0..<y.count { y.data[i] = (projected.data[i] + x.data[i]) * inverse }
        return y
    }

    /// Accumulates every parameter gradient and returns `dL/dx`.
    public func backward(_ dy: Tensor) -> Tensor {
        guard let q = queries, let k = keys, let v = values, let p = probabilities else {
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
        let d = headDimension, scale = 1 / Float(d).squareRoot()
        let scratch = workspace.perWorker(slots: 1, counts: [tokens * tokens])
        let qData = q.data, kData = k.data, vData = v.data, pData = p.data, doData = dAttended.data
        let dqData = dq.data, dkData = dk.data, dvData = dv.data
        let channelCount = channels, headCount = heads
        Profiler.measure(.attention) {
            Parallel.forEach(batch * heads) { piece, worker in
                let image = piece / headCount, head = piece % headCount
                let offset = (image * channelCount + head * d) * tokens
                let weights = pData + piece * tokens * tokens
                let dWeights = scratch[worker, 0]
                // dV = dO · P ;  dP = dOᵀ · V
                gemm(m: d, n: tokens, k: tokens, a: doData + offset, lda: tokens, b: weights, ldb: tokens,
                     c: dvData + offset, ldc: tokens)
                gemm(transposeA: true, m: tokens, n: tokens, k: d, a: doData + offset, lda: tokens,
                     b: vData + offset, ldb: tokens, c: dWeights, ldc: tokens)
                // dS = P ⊙ (dP − rowsum(dP ⊙ P))
                for row in 0..<tokens {
                    let pRow = weights + row * tokens, gRow = dWeights + row * tokens
                    var dot: Float = 0
                    for j in 0..<tokens { dot += pRow[j] * gRow[j] }
                    for j in 0..<tokens { gRow[j] = pRow[j] * (gRow[j] - dot) }
                }
                // dQ = scale · K · dSᵀ ;  dK = scale · Q · dS
                gemm(transposeB: true, m: d, n: tokens, k: tokens, alpha: scale, a: kData + offset, lda: tokens,
                     b: dWeights, ldb: tokens, c: dqData + offset, ldc: tokens)
                gemm(m: d, n: tokens, k: tokens, alpha: scale, a: qData + offset, lda: tokens,
                     b: dWeights, ldb: tokens, c: dkData + offset, ldc: tokens)
            }
        }
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

    /// Row-wise numerically stable softmax in place.
    static func softmaxRows(_ matrix: UnsafeMutablePointer<Float>, rows: Int, columns: Int) {
        for row in 0..<rows {
            let line = matrix + row * columns
            var largest = -Float.infinity
            for j in 0..<columns { largest = max(largest, line[j]) }
            var sum: Float = 0
            for j in 0..<columns {
                let e = fastExp(line[j] - largest)
                line[j] = e
                sum += e
            }
            let inverse = 1 / sum
            for j in 0..<columns { line[j] *= inverse }
        }
    }
}

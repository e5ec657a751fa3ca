import PhantomTensor

/// Inverted dropout: in training each element is zeroed with probability `p` and
/// the rest scaled by 1/(1−p); in evaluation it is the identity.
///
/// The mask of image `b` comes from `streams[b]`, which the caller keys by
/// (seed, layer, step, global image index), so masks do not depend on thread count
/// or on how a batch is split.
public final class Dropout {
    public let probability: Float
    /// The pool the mask, output and input gradient are taken from.
    private let pool: TensorPool
    /// The mask of the last training forward, kept for backward (a pool tensor).
    private var mask: Tensor?

    /// - Parameters:
    ///   - probability: the share of elements zeroed in training, in [0, 1).
    ///   - pool: where the activation-sized buffers come from (the model's ``Workspace/pool``).
    public init(probability: Float, pool: TensorPool) {
        precondition(probability >= 0 && probability < 1, "dropout probability \(probability)")
        self.probability = probability
        self.pool = pool
    }

    /// `x` `[B, …]` → `y = x ⊙ mask`, mask elements `1/(1−p)` with probability `1 − p`, else 0;
    /// one random stream per image. Returns `x` itself when `streams` is nil (evaluation)
    /// or the probability is 0; otherwise `y` is a pool tensor the caller gives back. The
    /// mask is kept for ``backward(_:)`` when `keepForBackward`, else given back at once.
    public func forward(_ x: Tensor, streams: [RandomStream]?, keepForBackward: Bool = true) -> Tensor {
        if let mask { pool.give(mask) }
        mask = nil
        guard let streams, probability > 0 else { return x }
        let batch = x.shape[0], perImage = x.count / batch
        precondition(streams.count == batch, "Dropout: \(streams.count) streams for \(batch) images")
        let m = pool.take(x.shape), y = pool.take(x.shape)
        let keep = 1 / (1 - probability), p = probability
        let maskData = m.data, source = x.data, target = y.data
        Parallel.forEach(batch) { image, _ in
            let imageMask = maskData + image * perImage
            streams[image].fillUniform(imageMask, count: perImage)
            for i in 0..<perImage {
                imageMask[i] = imageMask[i] > p ? keep : 0
                target[image * perImage + i] = source[image * perImage + i] * imageMask[i]
            }
        }
        if keepForBackward { mask = m } else { pool.give(m) }
        return y
    }

    /// `dL/dx = dL/dy ⊙ mask`, a pool tensor the caller gives back; `dL/dy` itself when the
    /// last forward was the identity. Gives the mask back.
    public func backward(_ dy: Tensor) -> Tensor {
        guard let m = mask else { return dy }
        let dx = pool.take(dy.shape)
        for i in 0..<dy.count { dx.data[i] = dy.data[i] * m.data[i] }
        pool.give(m)
        mask = nil
        return dx
    }
}

import PhantomTensor

/// Inverted dropout: in training each element is zeroed with probability `p` and
/// the rest scaled by 1/(1−p); in evaluation it is the identity.
///
/// The mask of image `b` comes from `streams[b]`, which the caller keys by
/// (seed, layer, step, global image index), so masks do not depend on thread count
/// or on how a batch is split.
public final class Dropout {
    public let probability: Float
    private var mask: Tensor?
    private var output: Tensor?
    private var inputGradient: Tensor?
    private var active = false

    public init(probability: Float) {
        precondition(probability >= 0 && probability < 1, "dropout probability \(probability)")
        self.probability = probability
    }

    /// Applies dropout with one random stream per image, or returns `x` unchanged
    /// when `streams` is nil (evaluation) or the probability is 0.
    public func forward(_ x: Tensor, streams: [RandomStream]?) -> Tensor {
        guard let streams, probability > 0 else {
            active = false
            return x
        }
        active = true
        let batch = x.shape[0], perImage = x.count / batch
        precondition(streams.count == batch, "Dropout: \(streams.count) streams for \(batch) images")
        let m = Tensor.reusing(mask, shape: x.shape), y = Tensor.reusing(output, shape: x.shape)
        mask = m
        output = y
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
        return y
    }

    /// `dL/dx = dL/dy ⊙ mask` (or `dL/dy` itself when the last forward was the identity).
    public func backward(_ dy: Tensor) -> Tensor {
        guard active, let m = mask else { return dy }
        let dx = Tensor.reusing(inputGradient, shape: dy.shape)
        inputGradient = dx
        for i in 0..<dy.count { dx.data[i] = dy.data[i] * m.data[i] }
        return dx
    }
}

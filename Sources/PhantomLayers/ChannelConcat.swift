import PhantomTensor

/// Concatenation of two NCHW tensors along channels (`torch.cat([a, b], dim=1)`),
/// as the U-Net's up path joins its skip connections, and the matching split of the gradient.
/// Results come from the workspace's pool and belong to the caller.
public final class ChannelConcat {
    private var firstChannels = 0, secondChannels = 0
    private let pool: TensorPool

    public init(workspace: Workspace = Workspace()) {
        pool = workspace.pool
    }

    public func forward(_ a: Tensor, _ b: Tensor) -> Tensor {
        precondition(a.shape[0] == b.shape[0] && a.shape[2...] == b.shape[2...], "concat \(a.shape) \(b.shape)")
        firstChannels = a.shape[1]
        secondChannels = b.shape[1]
        let batch = a.shape[0], pixels = a.count / (batch * firstChannels)
        let y = pool.take([batch, firstChannels + secondChannels] + Array(a.shape[2...]))
        let firstSize = firstChannels * pixels, secondSize = secondChannels * pixels
        for image in 0..<batch {
            let target = y.data + image * (firstSize + secondSize)
            target.update(from: a.data + image * firstSize, count: firstSize)
            (target + firstSize).update(from: b.data + image * secondSize, count: secondSize)
        }
        return y
    }

    /// Splits `dL/dy` into `(dL/da, dL/db)`.
    public func backward(_ dy: Tensor) -> (Tensor, Tensor) {
        let batch = dy.shape[0], spatial = Array(dy.shape[2...])
        let pixels = spatial.reduce(1, *)
        let da = pool.take([batch, firstChannels] + spatial)
        let db = pool.take([batch, secondChannels] + spatial)
        let firstSize = firstChannels * pixels, secondSize = secondChannels * pixels
        for image in 0..<batch {
            let source = dy.data + image * (firstSize + secondSize)
            (da.data + image * firstSize).update(from: source, count: firstSize)
            (db.data + image * secondSize).update(from: source + firstSize, count: secondSize)
        }
        return (da, db)
    }
}

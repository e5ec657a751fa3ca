import PhantomTensor

/// Nearest-neighbour 2× upsampling of NCHW batches (`F.interpolate(scale_factor=2.0, mode="nearest")`).
/// Results come from the workspace's pool and belong to the caller.
public final class NearestUpsample2x {
    private var inputShape: [Int] = []
    private let pool: TensorPool

    public init(workspace: Workspace = Workspace()) {
        pool = workspace.pool
    }

    public func forward(_ x: Tensor) -> Tensor {
        let (planes, height, width) = (x.shape[0] * x.shape[1], x.shape[2], x.shape[3])
        inputShape = x.shape
        let y = pool.take([x.shape[0], x.shape[1], 2 * height, 2 * width])
        let source = x.data, target = y.data
        Parallel.forEach(planes) { plane, _ in
            let input = source + plane * height * width, out = target + plane * 4 * height * width
            for row in 0..<height {
                let line = input + row * width, top = out + 2 * row * 2 * width
                for column in 0..<width {
                    top[2 * column] = line[column]
                    top[2 * column + 1] = line[column]
                }
                (top + 2 * width).update(from: top, count: 2 * width)
            }
        }
        return y
    }

    /// Each input gradient is the sum of the four output gradients it was copied to.
    public func backward(_ dy: Tensor) -> Tensor {
        let dx = pool.take(inputShape)
        let (planes, height, width) = (inputShape[0] * inputShape[1], inputShape[2], inputShape[3])
        let source = dy.data, target = dx.data
        Parallel.forEach(planes) { plane, _ in
            let grad = source + plane * 4 * height * width, out = target + plane * height * width
            for row in 0..<height {
                let top = grad + 2 * row * 2 * width, bottom = top + 2 * width
                for column in 0..<width {
                    out[row * width + column] = (top[2 * column] + top[2 * column + 1])
                        + (bottom[2 * column] + bottom[2 * column + 1])
                }
            }
        }
        return dx
    }
}

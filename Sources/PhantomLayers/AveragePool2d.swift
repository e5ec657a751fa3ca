import PhantomTensor

/// 2×2 average pooling with stride 2 over NCHW batches, as `torch.nn.AvgPool2d(2)`:
///
///     y[b, c, i, j] = ¼ Σ_{di, dj ∈ {0, 1}} x[b, c, 2i + di, 2j + dj]
///
/// Backward spreads each output gradient evenly over its four inputs:
/// `dx[b, c, 2i + di, 2j + dj] = ¼ dy[b, c, i, j]`. Holds no parameters and keeps only
/// the input's shape.
public final class AveragePool2d {
    private var inputShape: [Int] = []
    private var output: Tensor?
    private var inputGradient: Tensor?

    public init() {}

    /// `x` `[B, C, H, W]` with even H and W → `[B, C, H/2, W/2]` (owned by the layer,
    /// overwritten by the next forward).
    public func forward(_ x: Tensor) -> Tensor {
        precondition(x.shape.count == 4 && x.shape[2] % 2 == 0 && x.shape[3] % 2 == 0, "AveragePool2d input \(x.shape)")
        let planes = x.shape[0] * x.shape[1], height = x.shape[2] / 2, width = x.shape[3] / 2
        let y = Tensor.reusing(output, shape: [x.shape[0], x.shape[1], height, width])
        output = y
        inputShape = x.shape
        for plane in 0..<planes {
            let source = x.data + plane * 4 * height * width, target = y.data + plane * height * width
            for i in 0..<height {
                let top = source + 2 * i * 2 * width, bottom = top + 2 * width
                for j in 0..<width {
                    target[i * width + j] = 0.25 * (top[2 * j] + top[2 * j + 1] + bottom[2 * j] + bottom[2 * j + 1])
                }
            }
        }
        return y
    }

    /// Given `dL/dy` `[B, C, H/2, W/2]`, returns `dL/dx` `[B, C, H, W]` (owned by the layer).
    public func backward(_ dy: Tensor) -> Tensor {
        precondition(inputShape.count == 4, "AveragePool2d.backward before forward")
        let dx = Tensor.reusing(inputGradient, shape: inputShape)
        inputGradient = dx
        let planes = inputShape[0] * inputShape[1], height = inputShape[2] / 2, width = inputShape[3] / 2
        for plane in 0..<planes {
            let source = dy.data + plane * height * width, target = dx.data + plane * 4 * height * width
            for i in 0..<height {
                let top = target + 2 * i * 2 * width, bottom = top + 2 * width
                for j in 0..<width {
                    let share = 0.25 * source[i * width + j]
                    top[2 * j] = share; top[2 * j + 1] = share
                    bottom[2 * j] = share; bottom[2 * j + 1] = share
                }
            }
        }
        return dx
    }
}

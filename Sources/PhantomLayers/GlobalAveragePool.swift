import PhantomTensor

/// The mean of each channel over all pixels: `[B, C, H, W]` → `[B, C]`,
/// `y[b, c] = (1/HW) Σ_p x[b, c, p]` (accumulated in Double), and backward
/// `dx[b, c, p] = dy[b, c] / HW`.
public final class GlobalAveragePool {
    private var inputShape: [Int] = []
    private var output: Tensor?
    private var inputGradient: Tensor?

    public init() {}

    /// `x` `[B, C, H, W]` → `[B, C]` (owned by the layer, overwritten by the next forward).
    public func forward(_ x: Tensor) -> Tensor {
        precondition(x.shape.count == 4, "GlobalAveragePool input \(x.shape)")
        let planes = x.shape[0] * x.shape[1], pixels = x.shape[2] * x.shape[3]
        let y = Tensor.reusing(output, shape: [x.shape[0], x.shape[1]])
        output = y
        inputShape = x.shape
        for plane in 0..<planes {
            let source = x.data + plane * pixels
            var sum = 0.0
            for p in 0..<pixels { sum += Double(source[p]) }
            y.data[plane] = Float(sum / Double(pixels))
        }
        return y
    }

    /// Given `dL/dy` `[B, C]`, returns `dL/dx` `[B, C, H, W]` (owned by the layer).
    public func backward(_ dy: Tensor) -> Tensor {
        precondition(inputShape.count == 4, "GlobalAveragePool.backward before forward")
        let dx = Tensor.reusing(inputGradient, shape: inputShape)
        inputGradient = dx
        let planes = inputShape[0] * inputShape[1], pixels = inputShape[2] * inputShape[3]
        for plane in 0..<planes {
            (dx.data + plane * pixels).update(repeating: dy.data[plane] / Float(pixels), count: pixels)
        }
        return dx
    }
}

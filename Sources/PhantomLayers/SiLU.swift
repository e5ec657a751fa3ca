import PhantomTensor

/// The SiLU (swish) activation `y = x·σ(x)`, element-wise.
public final class SiLU {
    private var input: Tensor?
    private var output: Tensor?
    private var inputGradient: Tensor?

    public init() {}

    private func computeForward(_ x: Tensor) -> Tensor {
        let y = Tensor.reusing(output, shape: x.shape)
        output = y
        input = x
        let source = x.data, target = y.data
        ElementwiseChunks.run(x.count) { start, end in
            for i in start..<end {
                let v = source[i]
                target[i] = v / (1 + fastExp(-v))
            }
        }
        return y
    }

    /// `dL/dx = dL/dy · σ(x)(1 + x(1 − σ(x)))`.
    private func computeBackward(_ dy: Tensor) -> Tensor {
        guard let x = input else { preconditionFailure("SiLU.backward before forward") }
        let dx = Tensor.reusing(inputGradient, shape: x.shape)
        inputGradient = dx
        let source = x.data, grad = dy.data, target = dx.data
        ElementwiseChunks.run(x.count) { start, end in
            for i in start..<end {
                let v = source[i]
                let s = 1 / (1 + fastExp(-v))
                target[i] = grad[i] * s * (1 + v * (1 - s))
            }
        }
        return dx
    }
}

/// Splits an element-wise pass into fixed chunks spread over the workers.
enum ElementwiseChunks {
    static let chunk = 16_384

    static func run(_ count: Int, _ body: (_ start: Int, _ end: Int) -> Void) {
        let chunks = (count + chunk - 1) / chunk
        Parallel.forEach(chunks) { piece, _ in
            body(piece * chunk, min(count, (piece + 1) * chunk))
        }
    }
}

extension SiLU {
    /// `y = x·σ(x)`.
    public func forward(_ x: Tensor) -> Tensor {
        Profiler.measure(.elementwise) { computeForward(x) }
    }
    /// `dL/dx` from `dL/dy`.
    public func backward(_ dy: Tensor) -> Tensor {
        Profiler.measure(.elementwise) { computeBackward(dy) }
    }
}

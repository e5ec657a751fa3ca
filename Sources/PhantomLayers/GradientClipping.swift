import PhantomTensor

/// The global L2 norm of the gradients of `parameters`, `√(Σ g²)` over every element.
///
/// The squares are summed in Double, per fixed chunk and then chunk by chunk in
/// order, so the result is the same for any worker count. Because squares of
/// finite Floats cannot overflow a Double sum, the norm is finite exactly when
/// every gradient element is finite: `gradientNorm(p).isFinite` is the trainer's
/// NaN/infinity guard.
public func gradientNorm(_ parameters: [Parameter]) -> Double {
    let chunks = ElementChunk.split(parameters.map(\.gradient.count))
    var partials = [Double](repeating: 0, count: chunks.count)
    partials.withUnsafeMutableBufferPointer { partials in
        Parallel.forEach(chunks.count) { index, _ in
            let chunk = chunks[index]
            partials[index] = squaredSum(parameters[chunk.tensor].gradient.data, chunk.range)
        }
    }
    return partials.reduce(0, +).squareRoot()
}

/// `Σ g[i]²` over `range`, in Double, in index order: one chunk's share of a gradient norm.
func squaredSum(_ g: UnsafePointer<Float>, _ range: Range<Int>) -> Double {
    var sum = 0.0
    for i in range { sum += Double(g[i]) * Double(g[i]) }
    return sum
}

/// Scales the gradients of `parameters` so that their global L2 norm is at most
/// `maxNorm`, as `torch.nn.utils.clip_grad_norm_` does, and returns the norm
/// before clipping (see ``gradientNorm(_:)``).
///
/// The gradients are multiplied by `maxNorm / (norm + 1e-6)` when that factor is
/// below 1. When the norm is not finite (a NaN or infinite gradient) the gradients
/// are left as they are — torch would fill them with NaN or zeros — and the caller
/// should skip the step.
@discardableResult
public func clipGradients(_ parameters: [Parameter], maxNorm: Double) -> Double {
    let norm = gradientNorm(parameters)
    let factor = maxNorm / (norm + 1e-6)
    guard norm.isFinite, factor < 1 else { return norm }
    let scale = Float(factor)
    let chunks = ElementChunk.split(parameters.map(\.gradient.count))
    Parallel.forEach(chunks.count) { index, _ in
        let chunk = chunks[index]
        let g = parameters[chunk.tensor].gradient.data
        for i in chunk.range { g[i] *= scale }
    }
    return norm
}

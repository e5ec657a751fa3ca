import PhantomTensor

/// Sums per-image parameter gradients into a parameter's gradient.
///
/// Batch-parallel backward passes write each image's contribution to its own
/// slot (`slots[b * stride ..< b * stride + count]`), then this adds them in image
/// order, so the total does not depend on how images were spread over workers.
/// The per-image slots are also where per-sample gradient norms (for DP-SGD's
/// clipping) can be read before they are summed.
public func accumulateImageGradients(
    _ slots: UnsafePointer<Float>, stride: Int, images: Int,
    count: Int, into gradient: UnsafeMutablePointer<Float>
) {
    let chunk = 8192
    let chunks = (count + chunk - 1) / chunk
    Parallel.forEach(chunks) { piece, _ in
        let start = piece * chunk
        let end = min(count, start + chunk)
        for element in start..<end {
            var sum: Float = 0
            for image in 0..<images { sum += slots[image * stride + element] }
            gradient[element] += sum
        }
    }
}

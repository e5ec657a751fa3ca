import PhantomTensor

/// Adds per-image gradients to a parameter: their sum to its gradient, or, while the
/// parameter keeps ``Parameter/exampleGradients``, each example's positions' sum to that
/// example's row.
///
/// Batch-parallel backward passes write each image's contribution to its own
/// slot (`slots[b * stride ..< b * stride + parameter count]`), then this adds them in image
/// order, so the total does not depend on how images were spread over workers.
public func accumulateImageGradients(_ slots: UnsafePointer<Float>, stride: Int, images: Int, into parameter: Parameter) {
    forEachExample(images: images, of: parameter) { first, positions, target in
        sumSlots(slots + first * stride, stride: stride, images: positions, count: parameter.gradient.count, into: target)
    }
}

/// ``accumulateImageGradients(_:stride:images:into:)`` for per-image gradients of
/// `packedCount` floats kept in another layout (a library's blocked one): each sum over
/// images is taken in that layout, then `unpack` (which only moves elements) writes it in
/// the parameter's, and it is added there. The sums equal those of the unpacked gradients
/// bit for bit. `scratch` holds `packedCount` + the parameter's count floats.
func accumulatePackedImageGradients(_ slots: UnsafePointer<Float>, stride: Int, images: Int, packedCount: Int,
                                    into parameter: Parameter, scratch: UnsafeMutablePointer<Float>,
                                    unpack: (UnsafePointer<Float>, UnsafeMutablePointer<Float>) -> Void) {
    let packedSum = scratch, sum = scratch + packedCount
    forEachExample(images: images, of: parameter) { first, positions, target in
        packedSum.update(repeating: 0, count: packedCount)
        sumSlots(slots + first * stride, stride: stride, images: positions, count: packedCount, into: packedSum)
        unpack(packedSum, sum)
        for element in 0..<parameter.gradient.count { target[element] += sum[element] }
    }
}

/// Calls `body(first, positions, target)` for each run of images whose gradients add up in
/// one place: the whole batch into the parameter's gradient, or, while it keeps
/// ``Parameter/exampleGradients``, each example's positions into its row.
private func forEachExample(images: Int, of parameter: Parameter,
                            _ body: (_ first: Int, _ positions: Int, _ target: UnsafeMutablePointer<Float>) -> Void) {
    guard let perExample = parameter.exampleGradients else {
        body(0, images, parameter.gradient.data)
        return
    }
    let positions = perExample.positionsPerExample
    precondition(images == perExample.examples * positions, "\(images) images for \(perExample.examples) examples")
    for first in Swift.stride(from: 0, to: images, by: positions) {
        body(first, positions, perExample.row(position: first))
    }
}

/// `gradient[i] += Σ_b slots[b·stride + i]` over `images` slots, in slot order, over fixed
/// element chunks.
private func sumSlots(_ slots: UnsafePointer<Float>, stride: Int, images: Int, count: Int,
                      into gradient: UnsafeMutablePointer<Float>) {
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

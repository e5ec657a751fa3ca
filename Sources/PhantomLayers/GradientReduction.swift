import PhantomTensor

/// Adds per-image gradients to a parameter: their sum to its gradient, or, while the
/// parameter keeps ``Parameter/exampleGradients``, each example's positions' sum to that
/// example's row.
///
/// Batch-parallel backward passes write each image's contribution to its own
/// slot (`slots[b * stride ..< b * stride + parameter count]`), then this adds them in image
/// order, so the total does not depend on how images were spread over workers.
public func accumulateImageGradients(_ slots: UnsafePointer<Float>, stride: Int, images: Int, into parameter: Parameter) {
    let count = parameter.gradient.count
    guard let perExample = parameter.exampleGradients else {
        sumSlots(slots, stride: stride, images: images, count: count, into: parameter.gradient.data)
        return
    }
    let positions = perExample.positionsPerExample
    precondition(images == perExample.examples * positions, "\(images) images for \(perExample.examples) examples")
    for first in Swift.stride(from: 0, to: images, by: positions) {
        sumSlots(slots + first * stride, stride: stride, images: positions, count: count,
                 into: perExample.row(position: first))
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
    let count = parameter.gradient.count
    let perExample = parameter.exampleGradients
    let positions = perExample?.positionsPerExample ?? images
    if let perExample {
        precondition(images == perExample.examples * positions, "\(images) images for \(perExample.examples) examples")
    }
    let packedSum = scratch, sum = scratch + packedCount
    for first in Swift.stride(from: 0, to: images, by: positions) {
        packedSum.update(repeating: 0, count: packedCount)
        sumSlots(slots + first * stride, stride: stride, images: positions, count: packedCount, into: packedSum)
        unpack(packedSum, sum)
        let target = perExample?.row(position: first) ?? parameter.gradient.data
        for element in 0..<count { target[element] += sum[element] }
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

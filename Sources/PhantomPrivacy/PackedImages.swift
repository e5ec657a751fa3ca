import PhantomTensor

/// Images as the blocked distance GEMMs read them: reordered quadrant by quadrant (see
/// ``Quadrants``) in aligned memory, with their squared norms, plus the original
/// row-major images for the shifted comparison.
final class PackedImages: @unchecked Sendable {
    /// The quadrant layout of ``pixels``.
    let quadrants: Quadrants
    /// The images as given (row-major).
    let source: AuditImages
    /// `count × pixelCount` floats, image `i` in quadrant order at row `i`.
    let pixels: Tensor
    /// Squared norm of every quadrant of every image, quadrant-major: quadrant `q` of
    /// image `i` at `q * normStride + i`. Rows are padded with zeros to `normStride` (a
    /// multiple of 8) so vector loads past the last image stay in bounds.
    let quadrantNorms: Tensor
    /// Row length of ``quadrantNorms``.
    let normStride: Int
    /// Squared norm of every image.
    let norms: [Float]

    init(_ images: AuditImages) {
        let quadrants = Quadrants(side: images.side)
        let length = quadrants.pixelCount
        let normStride = (images.count + 7) / 8 * 8
        let pixels = Tensor(zeros: [images.count, length])
        let quadrantNorms = Tensor(zeros: [Quadrants.count, normStride])
        var norms = [Float](repeating: 0, count: images.count)
        images.pixels.withUnsafeBufferPointer { source in
            for image in 0..<images.count {
                let row = pixels.data + image * length
                quadrants.reorder(source.baseAddress! + image * length, into: row)
                var total = 0.0
                for quadrant in 0..<Quadrants.count {
                    var sum = 0.0
                    for position in quadrants.starts[quadrant]..<quadrants.starts[quadrant + 1] {
                        sum += Double(row[position]) * Double(row[position])
                    }
                    quadrantNorms.data[quadrant * normStride + image] = Float(sum)
                    total += sum
                }
                norms[image] = Float(total)
            }
        }
        self.quadrants = quadrants
        self.source = images
        self.normStride = normStride
        self.pixels = pixels
        self.quadrantNorms = quadrantNorms
        self.norms = norms
    }

    /// The number of images.
    var count: Int { source.count }

    /// Pixels per image.
    var length: Int { quadrants.pixelCount }

    /// Squared norm of the central window of every image (see ``ShiftedDistance``).
    func windowNorms() -> [Float] {
        let shifted = ShiftedDistance(side: quadrants.side)
        var window = [Float](repeating: 0, count: shifted.windowPixels)
        return source.pixels.withUnsafeBufferPointer { pixels in
            window.withUnsafeMutableBufferPointer { window in
                (0..<count).map { shifted.copyWindow(of: pixels.baseAddress! + $0 * length, into: window.baseAddress!) }
            }
        }
    }

    /// The first pixel of image `index`, in quadrant order.
    func image(_ index: Int) -> UnsafePointer<Float> { UnsafePointer(pixels.data + index * length) }
}

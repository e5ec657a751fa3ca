import PhantomTensor

/// The L2 distance between a sample and a training image allowing a small translation:
/// a shifted copy of a training image is far from it in plain L2 (on 64×64 head scans a
/// one-pixel shift moves a copy as far as a neighbouring slice) but at distance 0 here.
///
/// Definition: the central window of the training image — `side − 2·maxShift` pixels
/// square, leaving a margin of ``maxShift`` — against the window of the sample displaced
/// by `(dx, dy)`, for every `|dx|, |dy| ≤ maxShift`; the distance is the smallest of
/// these 25 L2 distances.
struct ShiftedDistance: Sendable {
    /// The largest displacement tried along each axis, in pixels.
    static let maxShift = 2
    /// Displacements tried: `(2·maxShift + 1)²`.
    static let shiftCount = (2 * maxShift + 1) * (2 * maxShift + 1)
    /// The smallest image side the comparison allows (a window of at least 4×4).
    static let minimumSide = 2 * maxShift + 4

    let side: Int

    /// - Precondition: `side >= minimumSide`.
    init(side: Int) {
        precondition(side >= Self.minimumSide, "images must be at least \(Self.minimumSide) pixels wide")
        self.side = side
    }

    /// Width and height of the window.
    var window: Int { side - 2 * Self.maxShift }

    /// Pixels in the window.
    var windowPixels: Int { window * window }

    /// The displacement numbered `shift` (0..<25), row by row from (−2, −2).
    func displacement(_ shift: Int) -> (dx: Int, dy: Int) {
        let span = 2 * Self.maxShift + 1
        return (shift % span - Self.maxShift, shift / span - Self.maxShift)
    }

    /// Copies the window of row-major `image` displaced by `(dx, dy)` to `destination`
    /// (``windowPixels`` floats, row-major) and returns its squared norm.
    func copyWindow(
        of image: UnsafePointer<Float>, dx: Int = 0, dy: Int = 0, into destination: UnsafeMutablePointer<Float>
    ) -> Float {
        var norm: Float = 0
        for row in 0..<window {
            let source = image + (row + Self.maxShift + dy) * side + Self.maxShift + dx
            (destination + row * window).update(from: source, count: window)
            for column in 0..<window { norm += source[column] * source[column] }
        }
        return norm
    }

    /// The squared distance between row-major `sample` and `training`, measured
    /// directly (exact: a shifted copy gives exactly 0).
    func squared(sample: UnsafePointer<Float>, training: UnsafePointer<Float>) -> Float {
        let margin = Self.maxShift
        var best = Float.infinity
        for shift in 0..<Self.shiftCount {
            let (dx, dy) = displacement(shift)
            var sum: Float = 0
            for row in margin..<(margin + window) where sum < best {
                sum += SquaredDistance.between(
                    training + row * side + margin, sample + (row + dy) * side + margin + dx, count: window)
            }
            best = min(best, sum)
        }
        return best
    }
}

/// Shifted distances from one sample to many training images with one GEMM:
/// `‖s_d‖² + ‖x‖² − 2 s_d·x` for the sample's 25 displaced windows `s_d` against each
/// training image's central window `x`, minimised over `d`. Holds its scratch memory,
/// so one instance serves a whole block of samples.
final class ShiftedSearch {
    let distance: ShiftedDistance
    private let capacity: Int
    private let scratch: Tensor
    private var sampleNorms: [Float]

    /// Room for up to `capacity` training images per sample.
    init(side: Int, capacity: Int) {
        distance = ShiftedDistance(side: side)
        self.capacity = capacity
        let pixels = distance.windowPixels, shifts = ShiftedDistance.shiftCount
        scratch = Tensor(zeros: [(shifts + capacity) * pixels + shifts * capacity])
        sampleNorms = [Float](repeating: 0, count: shifts)
    }

    /// Squared shifted distances from `sample` to training images `candidates`
    /// (row-major images, `training` holding them all; `trainingWindowNorms` their
    /// central windows' squared norms). Values carry the GEMM form's rounding, relative
    /// error about 1e-6 of the norms.
    ///
    /// - Precondition: `candidates.count <= capacity`.
    func squaredDistances(
        sample: UnsafePointer<Float>, candidates: [Int], training: UnsafePointer<Float>, trainingWindowNorms: [Float]
    ) -> [Float] {
        precondition(candidates.count <= capacity, "more candidates than room")
        let pixels = distance.windowPixels, shifts = ShiftedDistance.shiftCount, imagePixels = distance.side * distance.side
        let sampleWindows = scratch.data
        let candidateWindows = sampleWindows + shifts * pixels
        let products = candidateWindows + capacity * pixels
        for shift in 0..<shifts {
            let (dx, dy) = distance.displacement(shift)
            sampleNorms[shift] = distance.copyWindow(of: sample, dx: dx, dy: dy, into: sampleWindows + shift * pixels)
        }
        for (slot, candidate) in candidates.enumerated() {
            _ = distance.copyWindow(of: training + candidate * imagePixels, into: candidateWindows + slot * pixels)
        }
        gemm(transposeB: true, m: shifts, n: candidates.count, k: pixels, alpha: -2,
             a: sampleWindows, lda: pixels, b: candidateWindows, ldb: pixels, c: products, ldc: candidates.count)
        return candidates.enumerated().map { slot, candidate in
            var best = Float.infinity
            for shift in 0..<shifts {
                best = min(best, sampleNorms[shift] + products[shift * candidates.count + slot])
            }
            return max(0, best + trainingWindowNorms[candidate])
        }
    }
}

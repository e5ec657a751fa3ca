import PhantomTensor

/// A sample's nearest training images under the three distances, nearest first, with
/// exact (not squared) distances.
struct SampleNeighbours: Sendable {
    /// The k nearest by L2 over the whole image.
    var nearest: [Neighbour] = []
    /// The same k images, by ``ShiftedDistance``.
    var shifted: [Neighbour] = []
    /// The k nearest by half distance (L2 over the best-matching half).
    var half: [Neighbour] = []
}

/// The k-nearest-neighbour search of samples among training images, as blocked GEMMs.
///
/// Squared distances come from `‖a‖² + ‖b‖² − 2a·b`, quadrant by quadrant: for a block
/// of samples and a block of training images, one single-threaded GEMM per quadrant
/// gives all per-quadrant dot products (together exactly the work of one GEMM over
/// whole images). From the four per-quadrant squared distances of a pair come its full
/// squared distance (their sum) and its half distance (see ``HalfDistance``); two
/// bounded heaps per sample keep the k best of each. The neighbours kept are then
/// measured again directly — which removes the cancellation error of the GEMM form, so
/// an exact copy has distance 0 — and the k nearest also by ``ShiftedDistance``.
///
/// Work is split by fixed blocks of samples, each scanning all training images in the
/// same order, so results do not depend on the worker count. Cost:
/// `2 × samples × training × pixels` flops in GEMM, O(samples × training) for the
/// heaps and `25 × k × pixels` per sample for the shifted comparison; memory per
/// block: `sampleBlock × 4 × trainingBlock` floats.
enum SampleNeighbourSearch {
    /// Samples per work item (GEMM rows).
    static let sampleBlock = 256
    /// Training images per GEMM (columns); a multiple of 8.
    static let trainingBlock = 256

    static func run(
        samples: PackedImages, training: PackedImages, neighbourCount: Int, progress: ProgressCounter
    ) -> [SampleNeighbours] {
        precondition(samples.quadrants.side == training.quadrants.side, "samples and training images differ in size")
        let blocks = (samples.count + sampleBlock - 1) / sampleBlock
        let windowNorms = training.windowNorms()
        var results = [SampleNeighbours](repeating: SampleNeighbours(), count: samples.count)
        results.withUnsafeMutableBufferPointer { output in
            nonisolated(unsafe) let output = output
            Parallel.forEach(blocks) { block, _ in
                let rows = (block * sampleBlock)..<min((block + 1) * sampleBlock, samples.count)
                let heaps = scan(rows, of: samples, against: training, neighbourCount: neighbourCount, progress: progress)
                let shifted = ShiftedSearch(side: samples.quadrants.side, capacity: neighbourCount)
                for (row, (nearest, half)) in zip(rows, heaps) {
                    output[row] = remeasure(
                        row, of: samples, against: training, nearest: nearest, half: half,
                        shifted: shifted, windowNorms: windowNorms)
                }
            }
        }
        return results
    }

    /// Samples `rows` against every training image, in order: for each sample, the
    /// heaps of the k best squared full and half distances.
    private static func scan(
        _ rows: Range<Int>, of samples: PackedImages, against training: PackedImages, neighbourCount: Int,
        progress: ProgressCounter
    ) -> [(nearest: NeighbourHeap, half: NeighbourHeap)] {
        let quadrants = samples.quadrants, length = quadrants.pixelCount
        let rowStride = Quadrants.count * trainingBlock
        let scratch = Tensor(zeros: [rows.count * rowStride + 2 * trainingBlock])
        let products = scratch.data
        let totals = products + rows.count * rowStride, halves = totals + trainingBlock
        var heaps = [(nearest: NeighbourHeap, half: NeighbourHeap)](
            repeating: (NeighbourHeap(capacity: neighbourCount), NeighbourHeap(capacity: neighbourCount)),
            count: rows.count)

        for start in stride(from: 0, to: training.count, by: trainingBlock) {
            let width = min(trainingBlock, training.count - start)
            // products[row][quadrant][column] = −2 · (sample quadrant) · (training quadrant)
            for quadrant in 0..<Quadrants.count {
                let offset = quadrants.starts[quadrant]
                gemm(transposeB: true, m: rows.count, n: width, k: quadrants.starts[quadrant + 1] - offset,
                     alpha: -2,
                     a: samples.image(rows.lowerBound) + offset, lda: length,
                     b: training.image(start) + offset, ldb: length,
                     c: products + quadrant * trainingBlock, ldc: rowStride)
            }
            for row in 0..<rows.count {
                pairDistances(
                    products: products + row * rowStride,
                    sampleNorms: samples.quadrantNorms.data + rows.lowerBound + row, sampleNormStride: samples.normStride,
                    trainingNorms: training.quadrantNorms.data + start, trainingNormStride: training.normStride,
                    width: width, totals: totals, halves: halves)
                var nearestLimit = heaps[row].nearest.admissionLimit
                var halfLimit = heaps[row].half.admissionLimit
                for column in 0..<width {
                    if totals[column] < nearestLimit {
                        heaps[row].nearest.offer(Neighbour(index: start + column, distance: totals[column]))
                        nearestLimit = heaps[row].nearest.admissionLimit
                    }
                    if halves[column] < halfLimit {
                        heaps[row].half.offer(Neighbour(index: start + column, distance: halves[column]))
                        halfLimit = heaps[row].half.admissionLimit
                    }
                }
            }
            progress.advance(by: rows.count * width)
        }
        return heaps
    }

    /// Exact distances of the neighbours kept for sample `row`, and shifted distances
    /// to the k nearest, each list nearest first.
    private static func remeasure(
        _ row: Int, of samples: PackedImages, against training: PackedImages,
        nearest: NeighbourHeap, half: NeighbourHeap, shifted: ShiftedSearch, windowNorms: [Float]
    ) -> SampleNeighbours {
        let sample = samples.image(row), quadrants = samples.quadrants
        func measured(_ heap: NeighbourHeap, _ squared: ([Float]) -> Float) -> [Neighbour] {
            heap.sorted.map { neighbour in
                let distances = quadrants.squaredDistances(sample, training.image(neighbour.index))
                return Neighbour(index: neighbour.index, distance: squared(distances).squareRoot())
            }.sorted(by: Neighbour.precedes)
        }
        let nearestImages = measured(nearest) { $0.reduce(0, +) }
        return SampleNeighbours(
            nearest: nearestImages,
            shifted: shiftedNeighbours(
                row, of: samples, among: nearestImages.map(\.index), training: training,
                search: shifted, windowNorms: windowNorms),
            half: measured(half, HalfDistance.squared))
    }

    /// Shifted distances from sample `row` to `candidates`, nearest first; the nearest
    /// is measured again directly, so a shifted copy has distance exactly 0.
    private static func shiftedNeighbours(
        _ row: Int, of samples: PackedImages, among candidates: [Int], training: PackedImages,
        search: ShiftedSearch, windowNorms: [Float]
    ) -> [Neighbour] {
        let pixels = samples.length
        return samples.source.pixels.withUnsafeBufferPointer { samplePixels in
            training.source.pixels.withUnsafeBufferPointer { trainingPixels in
                let sample = samplePixels.baseAddress! + row * pixels
                let squared = search.squaredDistances(
                    sample: sample, candidates: candidates, training: trainingPixels.baseAddress!,
                    trainingWindowNorms: windowNorms)
                var neighbours = zip(candidates, squared).map { Neighbour(index: $0, distance: $1.squareRoot()) }
                    .sorted(by: Neighbour.precedes)
                let closest = trainingPixels.baseAddress! + neighbours[0].index * pixels
                neighbours[0].distance = search.distance.squared(sample: sample, training: closest).squareRoot()
                return neighbours.sorted(by: Neighbour.precedes)
            }
        }
    }

    /// For one sample against `width` training images: the squared full distance
    /// (`totals`) and squared half distance (`halves`) of each pair, eight at a time.
    /// Reads up to 7 columns past `width`, which the padded buffers allow.
    @inline(__always)
    private static func pairDistances(
        products: UnsafePointer<Float>, sampleNorms: UnsafePointer<Float>, sampleNormStride: Int,
        trainingNorms: UnsafePointer<Float>, trainingNormStride: Int, width: Int,
        totals: UnsafeMutablePointer<Float>, halves: UnsafeMutablePointer<Float>
    ) {
        @inline(__always)
        func quadrant(_ quadrant: Int, _ column: Int) -> SIMD8<Float> {
            let squared = load(products + quadrant * trainingBlock + column)
                + load(trainingNorms + quadrant * trainingNormStride + column)
                + SIMD8(repeating: sampleNorms[quadrant * sampleNormStride])
            return squared.replacing(with: 0, where: squared .< 0)
        }
        var column = 0
        while column < width {
            let topLeft = quadrant(0, column), topRight = quadrant(1, column)
            let bottomLeft = quadrant(2, column), bottomRight = quadrant(3, column)
            store((topLeft + topRight) + (bottomLeft + bottomRight), at: totals + column)
            store(HalfDistance.squared(topLeft, topRight, bottomLeft, bottomRight), at: halves + column)
            column += 8
        }
    }

    @inline(__always)
    private static func load(_ pointer: UnsafePointer<Float>) -> SIMD8<Float> {
        UnsafeRawPointer(pointer).loadUnaligned(as: SIMD8<Float>.self)
    }

    @inline(__always)
    private static func store(_ value: SIMD8<Float>, at pointer: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(pointer).storeBytes(of: value, as: SIMD8<Float>.self)
    }
}

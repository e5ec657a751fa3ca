import PhantomTensor

/// For every training image, its nearest other training image: the scale of distances
/// between images that were never copied from each other.
///
/// One GEMM per pair of fixed blocks of training images, upper triangle only (block
/// `b` against blocks `b, b + 1, …`): a pair's squared distance
/// `‖a‖² + ‖b‖² − 2a·b` updates the row image's best in its own block, and the column
/// image's best in a per-work-item array merged at the end. Minimums by
/// (distance, index) do not depend on the order they are taken in, so the result does
/// not depend on the worker count. An image is never compared with itself (duplicates
/// under different indices are, and then have distance 0). The nearest found is then
/// measured again directly. Cost: `training² × pixels` flops (half the full product).
enum TrainingNeighbourSearch {
    /// Training images per block (GEMM rows and columns).
    static let block = 256

    /// The nearest other image of each image, or an empty array for fewer than two.
    static func run(_ training: PackedImages, progress: ProgressCounter) -> [Neighbour] {
        guard training.count >= 2 else { return [] }
        let count = training.count
        let blocks = (count + block - 1) / block
        let unset = Neighbour(index: -1, distance: .infinity)
        // Work item `b` reports the best it saw for images `b * block ..< count`: its
        // own rows, and later blocks' images seen as columns.
        var found = [[Neighbour]](repeating: [], count: blocks)
        found.withUnsafeMutableBufferPointer { found in
            nonisolated(unsafe) let found = found
            Parallel.forEach(blocks) { rowBlock, _ in
                found[rowBlock] = searchRowBlock(rowBlock, training, unset: unset, progress: progress)
            }
        }
        var nearest = [Neighbour](repeating: unset, count: count)
        for (rowBlock, partial) in found.enumerated() {
            for (offset, candidate) in partial.enumerated() {
                let image = rowBlock * block + offset
                if Neighbour.precedes(candidate, nearest[image]) { nearest[image] = candidate }
            }
        }
        let quadrants = training.quadrants
        return nearest.enumerated().map { image, neighbour in
            let squared = quadrants.squaredDistances(training.image(image), training.image(neighbour.index))
            return Neighbour(index: neighbour.index, distance: squared.reduce(0, +).squareRoot())
        }
    }

    /// Block `rowBlock` against itself and every later block: the best (squared)
    /// neighbour seen for each image from the block's first on (image `first + i` at `i`).
    private static func searchRowBlock(
        _ rowBlock: Int, _ training: PackedImages, unset: Neighbour, progress: ProgressCounter
    ) -> [Neighbour] {
        let count = training.count, length = training.length
        let rows = (rowBlock * block)..<min((rowBlock + 1) * block, count)
        let first = rows.lowerBound
        var best = [Neighbour](repeating: unset, count: count - first)
        let products = Tensor(zeros: [block * block])
        for columnStart in stride(from: rows.lowerBound, to: count, by: block) {
            let columns = columnStart..<min(columnStart + block, count)
            gemm(transposeB: true, m: rows.count, n: columns.count, k: length, alpha: -2,
                 a: training.image(rows.lowerBound), lda: length,
                 b: training.image(columnStart), ldb: length,
                 c: products.data, ldc: block)
            let diagonal = columnStart == rows.lowerBound
            for (rowOffset, row) in rows.enumerated() {
                let line = products.data + rowOffset * block
                for (columnOffset, column) in columns.enumerated() where column != row {
                    let squared = max(0, training.norms[row] + training.norms[column] + line[columnOffset])
                    if Neighbour.precedes(Neighbour(index: column, distance: squared), best[row - first]) {
                        best[row - first] = Neighbour(index: column, distance: squared)
                    }
                    // Off the diagonal block, the pair is seen once: update the column too.
                    if !diagonal && Neighbour.precedes(Neighbour(index: row, distance: squared), best[column - first]) {
                        best[column - first] = Neighbour(index: row, distance: squared)
                    }
                }
            }
            progress.advance(by: diagonal ? rows.count * (rows.count - 1) / 2 : rows.count * columns.count)
        }
        return best
    }
}

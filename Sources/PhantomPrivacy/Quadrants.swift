/// The image's four quadrants, behind the half distance, and the pixel order the
/// audit stores images in: quadrant by quadrant (top-left, top-right, bottom-left,
/// bottom-right), so each quadrant is a contiguous run of every image's vector and one
/// GEMM per quadrant gives all per-quadrant dot products.
///
/// The split is at `side / 2` (rounded down) along each axis. Reordering pixels does
/// not change L2 distances.
struct Quadrants: Sendable {
    /// Quadrants in an image.
    static let count = 4

    /// Image width and height.
    let side: Int
    /// `count + 1` offsets into a reordered image: quadrant `q` is `starts[q]..<starts[q + 1]`.
    let starts: [Int]
    /// For each position of a reordered image, the row-major pixel it holds.
    let order: [Int]

    /// - Precondition: `side >= 2`.
    init(side: Int) {
        precondition(side >= 2, "images must be at least 2 pixels wide")
        self.side = side
        let edges = [0, side / 2, side]
        var starts = [0]
        var order: [Int] = []
        order.reserveCapacity(side * side)
        for quadrantRow in 0..<2 {
            for quadrantColumn in 0..<2 {
                for y in edges[quadrantRow]..<edges[quadrantRow + 1] {
                    for x in edges[quadrantColumn]..<edges[quadrantColumn + 1] { order.append(y * side + x) }
                }
                starts.append(order.count)
            }
        }
        self.starts = starts
        self.order = order
    }

    /// Pixels per image.
    var pixelCount: Int { side * side }

    /// Writes the row-major image `source` in quadrant order to `destination`.
    func reorder(_ source: UnsafePointer<Float>, into destination: UnsafeMutablePointer<Float>) {
        for (position, pixel) in order.enumerated() { destination[position] = source[pixel] }
    }

    /// Per-quadrant squared L2 distances between two reordered images.
    func squaredDistances(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>) -> [Float] {
        (0..<Self.count).map { quadrant in
            let start = starts[quadrant]
            return SquaredDistance.between(a + start, b + start, count: starts[quadrant + 1] - start)
        }
    }
}

/// Squared L2 distances of float runs, summed in Float over eight lanes. Differences of
/// equal pixels are exactly 0, so identical runs give exactly 0.
enum SquaredDistance {
    @inline(__always)
    static func between(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count: Int) -> Float {
        var lanes = SIMD8<Float>()
        var index = 0
        while index + 8 <= count {
            let difference = UnsafeRawPointer(a + index).loadUnaligned(as: SIMD8<Float>.self)
                - UnsafeRawPointer(b + index).loadUnaligned(as: SIMD8<Float>.self)
            lanes += difference * difference
            index += 8
        }
        var sum = lanes.sum()
        while index < count {
            let difference = a[index] - b[index]
            sum += difference * difference
            index += 1
        }
        return sum
    }
}

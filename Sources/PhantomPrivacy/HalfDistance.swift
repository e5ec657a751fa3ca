/// The half distance's core: from the squared distances of the four quadrants of a
/// pair of images (top-left, top-right, bottom-left, bottom-right), the smallest
/// squared distance over the left, right, top or bottom half.
enum HalfDistance {
    /// For one pair.
    ///
    /// - Precondition: `quadrants.count == 4`.
    static func squared(_ quadrants: [Float]) -> Float {
        precondition(quadrants.count == Quadrants.count, "the half distance needs 4 quadrants")
        return min(
            min(quadrants[0] + quadrants[2], quadrants[1] + quadrants[3]),
            min(quadrants[0] + quadrants[1], quadrants[2] + quadrants[3]))
    }

    /// For eight pairs at once, one per lane.
    @inline(__always)
    static func squared(
        _ topLeft: SIMD8<Float>, _ topRight: SIMD8<Float>, _ bottomLeft: SIMD8<Float>, _ bottomRight: SIMD8<Float>
    ) -> SIMD8<Float> {
        minimum(
            minimum(topLeft + bottomLeft, topRight + bottomRight),
            minimum(topLeft + topRight, bottomLeft + bottomRight))
    }

    @inline(__always)
    private static func minimum(_ a: SIMD8<Float>, _ b: SIMD8<Float>) -> SIMD8<Float> {
        a.replacing(with: b, where: b .< a)
    }
}

/// Feature vectors of a set of images, one row per image, row-major in Float64: the input
/// of ``FrechetDistance`` and ``ManifoldMetrics``.
///
/// Row `i` is `values[i * dimension ..< (i + 1) * dimension]`; read it with the subscript
/// (`features[i]`, an `ArraySlice` that keeps the indices of `values`).
public struct FeatureMatrix: Sendable, Equatable {
    /// The number of feature vectors (images).
    public let rows: Int
    /// The length of each feature vector.
    public let dimension: Int
    /// `rows * dimension` values, row after row.
    public var values: [Double]

    /// - Precondition: `rows >= 0`, `dimension >= 1` and `values.count == rows * dimension`.
    public init(rows: Int, dimension: Int, values: [Double]) {
        precondition(rows >= 0 && dimension >= 1, "FeatureMatrix \(rows)×\(dimension)")
        precondition(values.count == rows * dimension,
                     "FeatureMatrix \(rows)×\(dimension) given \(values.count) values")
        self.rows = rows
        self.dimension = dimension
        self.values = values
    }

    /// The matrix whose rows are `vectors`, each of length `dimension`.
    ///
    /// - Precondition: every vector has `dimension` values.
    public init(dimension: Int, rowVectors vectors: [[Double]]) {
        precondition(vectors.allSatisfy { $0.count == dimension }, "FeatureMatrix rows of unequal length")
        self.init(rows: vectors.count, dimension: dimension, values: Array(vectors.joined()))
    }

    /// Row `row` (the feature vector of image `row`), sliced from ``values`` without copying.
    ///
    /// - Precondition: `0 <= row < rows`.
    public subscript(row: Int) -> ArraySlice<Double> {
        precondition(row >= 0 && row < rows, "FeatureMatrix row \(row) of \(rows)")
        return values[(row * dimension)..<((row + 1) * dimension)]
    }

    /// The matrix of rows `indices`, in that order (repeats allowed).
    ///
    /// - Precondition: every index is in `0..<rows`.
    public func selecting(rows indices: [Int]) -> FeatureMatrix {
        var selected = [Double]()
        selected.reserveCapacity(indices.count * dimension)
        for index in indices { selected.append(contentsOf: self[index]) }
        return FeatureMatrix(rows: indices.count, dimension: dimension, values: selected)
    }
}

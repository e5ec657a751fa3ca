import PhantomTensor

/// Precision and recall (Kynkäänniemi et al. 2019, "Improved Precision and Recall Metric for
/// Assessing Generative Models") and density and coverage (Naeem et al. 2020, "Reliable
/// Fidelity and Diversity Metrics for Generative Models"), with k-nearest-neighbour balls in
/// Euclidean feature space.
///
/// With real features X = {x_i} (N of them), synthetic features Y = {y_j} (M of them),
/// r(x_i) the distance from x_i to its k-th nearest *other* real point, and s(y_j) the same
/// within Y, and B(c, r) the closed ball ‖· − c‖ ≤ r:
///
///     precision = 1/M · Σ_j 1[∃ i: y_j ∈ B(x_i, r(x_i))]      (fidelity: samples on the real manifold)
///     recall    = 1/N · Σ_i 1[∃ j: x_i ∈ B(y_j, s(y_j))]      (diversity: reals on the synthetic manifold)
///     density   = 1/(kM) · Σ_j Σ_i 1[y_j ∈ B(x_i, r(x_i))]    (can exceed 1; 1 on average for Y ~ X)
///     coverage  = 1/N · Σ_i 1[∃ j: y_j ∈ B(x_i, r(x_i))]      (real balls that hold a sample)
///
/// The balls are closed (≤), as in the papers' definitions; the reference code (`prdc`,
/// `improved-precision-and-recall-metric`) compares with `<`, which differs only on exact
/// ties. Distances are compared squared, computed directly as Σ (a − b)² in Float64; no
/// distance matrix is stored. Cost: (N² + M² + NM)·d multiply-adds (~57 M for 600 vs 445
/// points of 64 dimensions), shared over the ``Parallel`` workers. Results do not depend on
/// the worker count.
public struct ManifoldMetrics: Sendable, Equatable, Codable {
    public var precision: Double, recall: Double, density: Double, coverage: Double

    /// The metrics with the given values (for decoding and comparisons).
    public init(precision: Double, recall: Double, density: Double, coverage: Double) {
        self.precision = precision
        self.recall = recall
        self.density = density
        self.coverage = coverage
    }

    /// The smallest number of rows each set needs for `k` neighbours: k + 1.
    public static func minimumRows(k: Int) -> Int { k + 1 }

    /// - Parameters:
    ///   - real: reference features (the training or held-out images).
    ///   - synthetic: features of generated images.
    ///   - k: neighbours: the radius of each point's ball is the distance to the k-th nearest
    ///     other point of the same set (Naeem et al. recommend k = 5, Kynkäänniemi et al. k = 3).
    /// - Precondition: equal dimensions, `k >= 1`, and both sets have at least
    ///   ``minimumRows(k:)`` rows (the caller checks the image counts first).
    public init(real: FeatureMatrix, synthetic: FeatureMatrix, k: Int = 3) {
        precondition(real.dimension == synthetic.dimension,
                     "ManifoldMetrics of \(real.dimension)- and \(synthetic.dimension)-dimensional features")
        precondition(k >= 1, "ManifoldMetrics k = \(k)")
        precondition(real.rows > k && synthetic.rows > k,
                     "ManifoldMetrics k = \(k) needs more than k rows, got \(real.rows) real and \(synthetic.rows) synthetic")
        let realRadii = Self.kthNeighbourSquaredDistances(real, k: k)
        let syntheticRadii = Self.kthNeighbourSquaredDistances(synthetic, k: k)
        let n = real.rows, m = synthetic.rows, d = real.dimension

        // Per synthetic point: how many real balls hold it. Per real point (one row of
        // flags per worker, OR-ed afterwards): covered by a sample / inside a synthetic ball.
        var containing = [Int](repeating: 0, count: m)
        let workers = max(1, min(Parallel.workerCount, m))
        var covered = [Bool](repeating: false, count: workers * n)
        var recalled = [Bool](repeating: false, count: workers * n)
        real.values.withUnsafeBufferPointer { realBuffer in
            synthetic.values.withUnsafeBufferPointer { syntheticBuffer in
                containing.withUnsafeMutableBufferPointer { containingBuffer in
                    covered.withUnsafeMutableBufferPointer { coveredBuffer in
                        recalled.withUnsafeMutableBufferPointer { recalledBuffer in
                            let x = realBuffer.baseAddress!, y = syntheticBuffer.baseAddress!
                            let containing = containingBuffer.baseAddress!
                            let covered = coveredBuffer.baseAddress!, recalled = recalledBuffer.baseAddress!
                            Parallel.withWorkers(workers) {
                                Parallel.forEach(m) { j, worker in
                                    let yj = y + j * d, radius = syntheticRadii[j]
                                    var count = 0
                                    for i in 0..<n {
                                        let distance = Self.squaredDistance(x + i * d, yj, d)
                                        if distance <= realRadii[i] {
                                            count += 1
                                            covered[worker * n + i] = true
                                        }
                                        if distance <= radius { recalled[worker * n + i] = true }
                                    }
                                    containing[j] = count
                                }
                            }
                        }
                    }
                }
            }
        }
        var coveredCount = 0, recalledCount = 0
        for i in 0..<n {
            if (0..<workers).contains(where: { covered[$0 * n + i] }) { coveredCount += 1 }
            if (0..<workers).contains(where: { recalled[$0 * n + i] }) { recalledCount += 1 }
        }
        precision = Double(containing.count(where: { $0 > 0 })) / Double(m)
        recall = Double(recalledCount) / Double(n)
        density = Double(containing.reduce(0, +)) / (Double(k) * Double(m))
        coverage = Double(coveredCount) / Double(n)
    }

    /// For each row, the squared distance to its k-th nearest other row (rows at distance 0
    /// count: a duplicated point has radius 0 when k = 1).
    static func kthNeighbourSquaredDistances(_ points: FeatureMatrix, k: Int) -> [Double] {
        let n = points.rows, d = points.dimension
        var radii = [Double](repeating: 0, count: n)
        let workers = max(1, min(Parallel.workerCount, n))
        // The k smallest distances so far, ascending, one buffer per worker.
        var scratch = [Double](repeating: 0, count: workers * k)
        points.values.withUnsafeBufferPointer { pointBuffer in
            radii.withUnsafeMutableBufferPointer { radiusBuffer in
                scratch.withUnsafeMutableBufferPointer { scratchBuffer in
                    let p = pointBuffer.baseAddress!, radii = radiusBuffer.baseAddress!
                    let scratch = scratchBuffer.baseAddress!
                    Parallel.withWorkers(workers) {
                        Parallel.forEach(n) { i, worker in
                            let nearest = scratch + worker * k
                            var filled = 0
                            for j in 0..<n where j != i {
                                let distance = squaredDistance(p + i * d, p + j * d, d)
                                if filled == k && distance >= nearest[k - 1] { continue }
                                // Insertion into the sorted buffer, dropping the largest when full.
                                var slot = filled < k ? filled : k - 1
                                while slot > 0 && nearest[slot - 1] > distance {
                                    nearest[slot] = nearest[slot - 1]
                                    slot -= 1
                                }
                                nearest[slot] = distance
                                if filled < k { filled += 1 }
                            }
                            radii[i] = nearest[k - 1]
                        }
                    }
                }
            }
        }
        return radii
    }

    /// Σ (a_t − b_t)² over `count` values, in order.
    @inline(__always)
    static func squaredDistance(_ a: UnsafePointer<Double>, _ b: UnsafePointer<Double>, _ count: Int) -> Double {
        var sum = 0.0
        for t in 0..<count {
            let difference = a[t] - b[t]
            sum += difference * difference
        }
        return sum
    }
}

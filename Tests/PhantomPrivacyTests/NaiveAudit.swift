import PhantomPrivacy

/// The audit's definitions computed the slow, obvious way in Double, for comparison.
struct NaiveAudit {
    let side: Int
    let k: Int
    private let samples: [[Double]]
    private let training: [[Double]]

    init(samples: AuditImages, training: AuditImages, k: Int) {
        side = samples.side
        self.k = k
        self.samples = (0..<samples.count).map { samples.image(at: $0).map(Double.init) }
        self.training = (0..<training.count).map { training.image(at: $0).map(Double.init) }
    }

    /// (training index, distance, ratio) under plain L2.
    func nearest(_ sample: Int) -> (Int, Double, Double) {
        match(training.indices.map { ($0, distance(samples[sample], training[$0], rows: 0..<side, columns: 0..<side)) })
    }

    /// (training index, distance, ratio) allowing shifts, over the k nearest by plain L2.
    func shifted(_ sample: Int) -> (Int, Double, Double) {
        let plain = training.indices.map { ($0, distance(samples[sample], training[$0], rows: 0..<side, columns: 0..<side)) }
        return match(sortedByDistance(plain).prefix(k).map { ($0.0, shiftedDistance(samples[sample], training[$0.0])) })
    }

    /// (training index, distance, ratio) over the best-matching half.
    func half(_ sample: Int) -> (Int, Double, Double) {
        let middle = side / 2
        let halves = [(0..<side, 0..<middle), (0..<side, middle..<side), (0..<middle, 0..<side), (middle..<side, 0..<side)]
        return match(training.indices.map { image in
            (image, halves.map { distance(samples[sample], training[image], rows: $0.0, columns: $0.1) }.min()!)
        })
    }

    /// Each training image's nearest other: (index, distance).
    func trainingNearest(_ image: Int) -> (Int, Double) {
        let others = training.indices.filter { $0 != image }.map {
            ($0, distance(training[image], training[$0], rows: 0..<side, columns: 0..<side))
        }
        return sortedByDistance(others)[0]
    }

    private func match(_ distances: [(Int, Double)]) -> (Int, Double, Double) {
        let kept = sortedByDistance(distances).prefix(k)
        let mean = kept.map(\.1).reduce(0, +) / Double(kept.count)
        return (kept.first!.0, kept.first!.1, kept.first!.1 / mean)
    }

    private func sortedByDistance(_ values: [(Int, Double)]) -> [(Int, Double)] {
        values.sorted { ($0.1, $0.0) < ($1.1, $1.0) }
    }

    /// L2 over `rows × columns` of `a` against the same region of `b` moved by (dx, dy).
    private func distance(
        _ a: [Double], _ b: [Double], rows: Range<Int>, columns: Range<Int>, dx: Int = 0, dy: Int = 0
    ) -> Double {
        var sum = 0.0
        for y in rows {
            for x in columns {
                let difference = a[y * side + x] - b[(y + dy) * side + x + dx]
                sum += difference * difference
            }
        }
        return sum.squareRoot()
    }

    /// The training image's central window against the sample's window moved by up to 2.
    private func shiftedDistance(_ sample: [Double], _ training: [Double]) -> Double {
        let margin = 2, window = margin..<(side - margin)
        var best = Double.infinity
        for dy in -margin...margin {
            for dx in -margin...margin {
                best = min(best, distance(training, sample, rows: window, columns: window, dx: dx, dy: dy))
            }
        }
        return best
    }
}

/// `count` images of `side × side` uniform random pixels in [-1, 1].
func randomImages(count: Int, side: Int, seed: UInt64) -> AuditImages {
    var random = SplitMix(seed: seed)
    return AuditImages(side: side, pixels: (0..<(count * side * side)).map { _ in 2 * random.uniform() - 1 })
}

import Foundation
import PhantomEvaluation
import PhantomTensor
import Testing

/// Precision, recall, density and coverage against a direct numpy implementation of the papers'
/// definitions (`Tests/Fixtures/make_evaluation_fixtures.py`; its point sets keep every distance
/// at least 1e-6 (relative) away from every radius, so no comparison is a tie).
@Suite struct ManifoldMetricsTests {
    struct Case {
        let name: String
        let real: FeatureMatrix, synthetic: FeatureMatrix
        let k: Int
        let expected: ManifoldMetrics
    }

    static func cases() throws -> [Case] {
        let root = try loadEvaluationFixture("manifold.json")
        let items = try #require(root["cases"] as? [[String: Any]])
        return try items.map { item in
            let dimension = try #require(item["dimension"] as? Int)
            let real: FeatureMatrix, synthetic: FeatureMatrix
            if let specs = item["generated"] as? [[String: Any]] {
                real = try points(specs[0])
                synthetic = try points(specs[1])
            } else {
                real = FeatureMatrix(rows: try #require(item["rows_real"] as? Int), dimension: dimension,
                                     values: try #require(item["real"] as? [Double]))
                synthetic = FeatureMatrix(rows: try #require(item["rows_synthetic"] as? Int), dimension: dimension,
                                          values: try #require(item["synthetic"] as? [Double]))
            }
            let expected = ManifoldMetrics(
                precision: try #require(item["precision"] as? Double), recall: try #require(item["recall"] as? Double),
                density: try #require(item["density"] as? Double), coverage: try #require(item["coverage"] as? Double))
            return Case(name: try #require(item["name"] as? String), real: real, synthetic: synthetic,
                        k: try #require(item["k"] as? Int), expected: expected)
        }
    }

    /// `generated_points` of the fixture script: x_ij = offset + scale·(2u − 1).
    static func points(_ spec: [String: Any]) throws -> FeatureMatrix {
        let rows = try #require(spec["rows"] as? Int), dimension = try #require(spec["dimension"] as? Int)
        let scale = try #require(spec["scale"] as? Double), offset = try #require(spec["offset"] as? Double)
        var generator = ReferenceGenerator(seed: UInt64(try #require(spec["seed"] as? Int)))
        return FeatureMatrix(rows: rows, dimension: dimension,
                             values: (0..<(rows * dimension)).map { _ in offset + scale * generator.signed() })
    }

    @Test func matchesThePapersDefinitions() throws {
        let cases = try Self.cases()
        #expect(cases.count == 4)
        for item in cases {
            let metrics = ManifoldMetrics(real: item.real, synthetic: item.synthetic, k: item.k)
            // Ratios of the same integer counts: equal up to the last bit.
            #expect(abs(metrics.precision - item.expected.precision) < 1e-12, "\(item.name) precision")
            #expect(abs(metrics.recall - item.expected.recall) < 1e-12, "\(item.name) recall")
            #expect(abs(metrics.density - item.expected.density) < 1e-12, "\(item.name) density")
            #expect(abs(metrics.coverage - item.expected.coverage) < 1e-12, "\(item.name) coverage")
        }
    }

    @Test func identicalSetsArePerfect() throws {
        for item in try Self.cases() {
            let metrics = ManifoldMetrics(real: item.real, synthetic: item.real, k: item.k)
            #expect(metrics.precision == 1 && metrics.recall == 1 && metrics.coverage == 1, "\(item.name): \(metrics)")
            // Every point lies in its own ball and in the balls of the neighbours it is among the k nearest of.
            #expect(metrics.density >= 1.0 / Double(item.k), "\(item.name): \(metrics)")
        }
    }

    @Test func farApartSetsScoreZero() throws {
        for item in try Self.cases() {
            var far = item.synthetic
            far.values = far.values.map { $0 + 1000 }
            let metrics = ManifoldMetrics(real: item.real, synthetic: far, k: item.k)
            #expect(metrics == ManifoldMetrics(precision: 0, recall: 0, density: 0, coverage: 0), "\(item.name)")
        }
    }

    /// On a line, with k = 1: real radii 1, 1, 2, 4 and synthetic radii 4.5, 4.5, 15. The sample
    /// at 5 lies exactly on the boundary of the ball of radius 2 around 3, and counts (closed balls).
    @Test func closedBallsByHand() {
        let real = FeatureMatrix(dimension: 1, rowVectors: [[0], [1], [3], [7]])
        let synthetic = FeatureMatrix(dimension: 1, rowVectors: [[0.5], [5], [20]])
        let metrics = ManifoldMetrics(real: real, synthetic: synthetic, k: 1)
        #expect(metrics.precision == 2.0 / 3.0)           // 0.5 and 5 are in real balls, 20 is not
        #expect(metrics.density == 4.0 / 3.0)             // 0.5 in the balls of 0 and 1; 5 in those of 3 and 7
        #expect(metrics.coverage == 1)                    // every real ball holds a sample
        #expect(metrics.recall == 1)                      // 0, 1, 3 within 4.5 of 0.5; 7 within 4.5 of 5

        // k = 2: real radii 3, 2, 3, 6 (the 2nd nearest other point).
        let k2 = ManifoldMetrics(real: real, synthetic: synthetic, k: 2)
        #expect(k2.precision == 2.0 / 3.0)
        #expect(k2.density == 5.0 / 6.0)                  // 0.5 in the balls of 0, 1, 3 (not 7: 6.5 > 6); 5 in those of 3, 7
        #expect(k2.coverage == 1 && k2.recall == 1)
    }

    @Test func independentOfWorkerCount() throws {
        let item = try #require(try Self.cases().last)
        let one = Parallel.withWorkers(1) { ManifoldMetrics(real: item.real, synthetic: item.synthetic, k: item.k) }
        let two = Parallel.withWorkers(2) { ManifoldMetrics(real: item.real, synthetic: item.synthetic, k: item.k) }
        #expect(one == two)
    }

    @Test func codableRoundTrip() throws {
        let metrics = ManifoldMetrics(precision: 0.25, recall: 0.5, density: 1.125, coverage: 0.75)
        let decoded = try JSONDecoder().decode(ManifoldMetrics.self, from: JSONEncoder().encode(metrics))
        #expect(decoded == metrics)
    }

    @Test func selectingRows() {
        let matrix = FeatureMatrix(dimension: 2, rowVectors: [[1, 2], [3, 4], [5, 6]])
        #expect(Array(matrix[1]) == [3, 4])
        #expect(matrix.selecting(rows: [2, 0, 2]) == FeatureMatrix(dimension: 2, rowVectors: [[5, 6], [1, 2], [5, 6]]))
    }
}

import Foundation
import PhantomEvaluation
import PhantomTestSupport
import Testing

/// The Fréchet distance against pytorch-fid's `scipy.linalg.sqrtm` computation, the same
/// eigenvalue route in numpy, and a 50-digit mpmath one (`Tests/Fixtures/make_evaluation_fixtures.py`),
/// and against closed forms.
@Suite struct FrechetDistanceTests {
    struct Case {
        let name: String
        let a: FeatureMatrix, b: FeatureMatrix
        let scipy: Double, eigh: Double
        /// The 50-digit value, for the sets stored in the fixture.
        let exact: Double?
    }

    static func cases() throws -> [Case] {
        let root = try loadEvaluationFixture("frechet.json")
        let items = try #require(root["cases"] as? [[String: Any]])
        return try items.map { item in
            let name = try #require(item["name"] as? String)
            let dimension = try #require(item["dimension"] as? Int)
            let a: FeatureMatrix, b: FeatureMatrix
            if let specs = item["generated"] as? [[String: Any]] {
                a = try FeatureMatrix.generated(specs[0])
                b = try FeatureMatrix.generated(specs[1])
            } else {
                a = FeatureMatrix(rows: try #require(item["rows_a"] as? Int), dimension: dimension,
                                  values: try #require(item["a"] as? [Double]))
                b = FeatureMatrix(rows: try #require(item["rows_b"] as? Int), dimension: dimension,
                                  values: try #require(item["b"] as? [Double]))
            }
            return Case(name: name, a: a, b: b, scipy: try #require(item["fd_scipy_sqrtm"] as? Double),
                        eigh: try #require(item["fd_eigh"] as? Double), exact: item["fd_exact"] as? Double)
        }
    }

    @Test func matchesScipyAndNumpy() throws {
        let cases = try Self.cases()
        #expect(cases.count == 6)
        for item in cases {
            let distance = FrechetDistance.distance(item.a, item.b)
            let eighError = abs(distance - item.eigh) / item.eigh
            let scipyError = abs(distance - item.scipy) / item.scipy
            #expect(eighError < 1e-12, "\(item.name): \(distance) vs eigh \(item.eigh)")
            // sqrtm of a singular Σ₁Σ₂ is itself only accurate to ~1e-8 (1.1e-8 on these sets).
            #expect(scipyError < 5e-8, "\(item.name): \(distance) vs sqrtm \(item.scipy)")
            if let exact = item.exact {
                #expect(abs(distance - exact) <= 1e-13 * exact, "\(item.name): \(distance) vs 50 digits \(exact)")
            }
        }
    }

    @Test func identicalSetsAreAtDistanceZero() throws {
        for item in try Self.cases() {
            for set in [item.a, item.b] {
                let statistics = FrechetDistance.Statistics(set)
                let trace = (0..<set.dimension).reduce(0.0) { $0 + statistics.covariance[$1 * set.dimension + $1] }
                let distance = FrechetDistance.distance(set, set)
                // Also for rank-deficient Σ, whose zero eigenvalues are dropped as rounding noise.
                #expect(distance >= 0 && distance <= 1e-12 * trace,
                        "\(item.name) \(set.rows)×\(set.dimension): FD(a, a) = \(distance), tr Σ = \(trace)")
            }
        }
    }

    @Test func symmetric() throws {
        for item in try Self.cases() {
            let forward = FrechetDistance.distance(item.a, item.b)
            let backward = FrechetDistance.distance(item.b, item.a)
            #expect(abs(forward - backward) <= 1e-13 * forward, "\(item.name): \(forward) vs \(backward)")
        }
    }

    @Test func statisticsGiveTheSameDistance() throws {
        let item = try #require(try Self.cases().first)
        let direct = FrechetDistance.distance(item.a, item.b)
        let viaStatistics = FrechetDistance.distance(FrechetDistance.Statistics(item.a), FrechetDistance.Statistics(item.b))
        #expect(direct == viaStatistics)
    }

    /// Four points μ ± √(3/2)·L_k have mean μ and unbiased covariance L·Lᵀ exactly, and for
    /// 2×2 matrices tr((Σ₁Σ₂)^{1/2}) = √(tr(Σ₁Σ₂) + 2√(det Σ₁ det Σ₂)): a closed form for
    /// covariances that do not commute.
    @Test func closedFormForNonCommutingCovariances() {
        func points(mean: (Double, Double), _ l: [[Double]]) -> FeatureMatrix {
            let c = (1.5).squareRoot()
            var rows = [[Double]]()
            for k in 0..<2 {
                for sign in [1.0, -1.0] {
                    rows.append([mean.0 + sign * c * l[0][k], mean.1 + sign * c * l[1][k]])
                }
            }
            return FeatureMatrix(dimension: 2, rowVectors: rows)
        }
        func covariance(_ l: [[Double]]) -> [[Double]] {
            (0..<2).map { i in (0..<2).map { j in l[i][0] * l[j][0] + l[i][1] * l[j][1] } }
        }
        let l1 = [[2.0, 0.0], [0.6, 0.5]], l2 = [[0.7, 0.0], [-1.1, 1.3]]
        let s1 = covariance(l1), s2 = covariance(l2)
        let product = (0..<2).map { i in (0..<2).map { j in s1[i][0] * s2[0][j] + s1[i][1] * s2[1][j] } }
        let det1 = s1[0][0] * s1[1][1] - s1[0][1] * s1[1][0], det2 = s2[0][0] * s2[1][1] - s2[0][1] * s2[1][0]
        let traceRoot = (product[0][0] + product[1][1] + 2 * (det1 * det2).squareRoot()).squareRoot()
        let meanTerm = (1.0 - -0.5) * (1.0 - -0.5) + (2.0 - 0.25) * (2.0 - 0.25)
        let expected = meanTerm + s1[0][0] + s1[1][1] + s2[0][0] + s2[1][1] - 2 * traceRoot
        let distance = FrechetDistance.distance(points(mean: (1, 2), l1), points(mean: (-0.5, 0.25), l2))
        #expect(abs(distance - expected) <= 1e-12 * expected, "\(distance) vs \(expected)")

        // A singular Σ₁ (points on a line): A Σ₂ A has a zero eigenvalue.
        let line = [[1.0, 0.0], [2.0, 0.0]]
        let s3 = covariance(line)
        let product3 = (0..<2).map { i in (0..<2).map { j in s3[i][0] * s2[0][j] + s3[i][1] * s2[1][j] } }
        let expectedSingular = s3[0][0] + s3[1][1] + s2[0][0] + s2[1][1]
            - 2 * (product3[0][0] + product3[1][1]).squareRoot()
        let singular = FrechetDistance.distance(points(mean: (0, 0), line), points(mean: (0, 0), l2))
        #expect(abs(singular - expectedSingular) <= 1e-12 * expectedSingular, "\(singular) vs \(expectedSingular)")
    }

    /// Samples of two Gaussians whose covariances share eigenvectors (a rotation R):
    /// d² = ‖μ₁ − μ₂‖² + Σ_k (√a_k − √b_k)².
    @Test func sampledGaussiansApproachTheClosedForm() {
        let angle = 0.7
        let rotation = [[cos(angle), -sin(angle), 0], [sin(angle), cos(angle), 0], [0, 0, 1]]
        let mean1 = [0.0, 0.0, 0.0], mean2 = [1.0, -0.5, 0.2]
        let variances1 = [1.0, 4.0, 0.25], variances2 = [2.25, 1.0, 1.0]
        var generator = ReferenceGenerator(seed: 5)
        func sample(_ mean: [Double], _ variances: [Double], count: Int) -> FeatureMatrix {
            var values = [Double]()
            for _ in 0..<count {
                let z = (0..<3).map { k in generator.normal() * variances[k].squareRoot() }
                for i in 0..<3 { values.append(mean[i] + (0..<3).reduce(0.0) { $0 + rotation[i][$1] * z[$1] }) }
            }
            return FeatureMatrix(rows: count, dimension: 3, values: values)
        }
        let a = sample(mean1, variances1, count: 20000), b = sample(mean2, variances2, count: 20000)
        let meanTerm = zip(mean1, mean2).reduce(0.0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }
        let expected = meanTerm + zip(variances1, variances2).reduce(0.0) {
            $0 + ($1.0.squareRoot() - $1.1.squareRoot()) * ($1.0.squareRoot() - $1.1.squareRoot())
        }
        let distance = FrechetDistance.distance(a, b)
        #expect(abs(distance - expected) < 0.05 * expected, "\(distance) vs closed form \(expected)")
    }
}

// MARK: - Shared by the evaluation tests

/// The JSON object of `Tests/Fixtures/evaluation/<name>`.
func loadEvaluationFixture(_ name: String) throws -> [String: Any] {
    let data = try Data(contentsOf: Fixtures.url("evaluation/\(name)"))
    return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
}

/// SplitMix64 and the draws of `make_evaluation_fixtures.py`, bit for bit.
struct ReferenceGenerator {
    var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// [0, 1) with 53 random bits.
    mutating func uniform() -> Double { Double(next() >> 11) * 0x1p-53 }
    /// [-1, 1).
    mutating func signed() -> Double { 2 * uniform() - 1 }
    /// 0..<n: the high word of next()·n.
    mutating func below(_ n: Int) -> Int { Int(next().multipliedFullWidth(by: UInt64(n)).high) }
    /// A standard normal value (Box–Muller; only for tests that need no Python counterpart).
    mutating func normal() -> Double {
        let u1 = 1 - uniform(), u2 = uniform()
        return (-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2)
    }
}

extension FeatureMatrix {
    /// `generated_features` of the fixture script: x_ij = shift·s_j + Σ_r u_ir·W_rj + noise·e_ij.
    static func generated(_ spec: [String: Any]) throws -> FeatureMatrix {
        let seed = try #require(spec["seed"] as? Int), rows = try #require(spec["rows"] as? Int)
        let dimension = try #require(spec["dimension"] as? Int), rank = try #require(spec["rank"] as? Int)
        let noise = try #require(spec["noise"] as? Double), shift = try #require(spec["shift"] as? Double)
        var generator = ReferenceGenerator(seed: UInt64(seed))
        let w = (0..<(rank * dimension)).map { _ in generator.signed() }
        let s = (0..<dimension).map { _ in generator.signed() }
        var values = [Double]()
        values.reserveCapacity(rows * dimension)
        for _ in 0..<rows {
            let u = (0..<rank).map { _ in generator.signed() }
            let e = (0..<dimension).map { _ in generator.signed() }
            for j in 0..<dimension {
                var x = shift * s[j]
                for r in 0..<rank { x = x + u[r] * w[r * dimension + j] }
                values.append(x + noise * e[j])
            }
        }
        return FeatureMatrix(rows: rows, dimension: dimension, values: values)
    }
}

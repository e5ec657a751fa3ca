import Foundation

/// Tests/Fixtures/privacy/rdp_accountant.json, made by Opacus 1.6.0 (and dp-accounting 0.6.0 and
/// mpmath as second opinions) with Tests/Fixtures/make_privacy_fixtures.py. Rows are arrays whose
/// columns the JSON names.
struct PrivacyAccountantFixture: Decodable, Sendable {
    struct RDPRow: Decodable, Sendable {
        var sigma: Double
        var q: Double
        var perStep: [Double]

        init(from decoder: any Decoder) throws {
            var row = try decoder.unkeyedContainer()
            sigma = try row.decode(Double.self)
            q = try row.decode(Double.self)
            perStep = try row.decode([Double].self)
        }
    }

    struct EpsilonRow: Decodable, Sendable {
        var sigma: Double
        var q: Double
        var steps: Int
        var delta: Double
        var epsilon: Double
        var order: Double
        var dpAccountingEpsilon: Double
        var dpAccountingAgrees: Bool

        init(from decoder: any Decoder) throws {
            var row = try decoder.unkeyedContainer()
            sigma = try row.decode(Double.self)
            q = try row.decode(Double.self)
            steps = try row.decode(Int.self)
            delta = try row.decode(Double.self)
            epsilon = try row.decode(Double.self)
            order = try row.decode(Double.self)
            dpAccountingEpsilon = try row.decode(Double.self)
            dpAccountingAgrees = try row.decode(Int.self) != 0
        }
    }

    struct SegmentsRow: Decodable, Sendable {
        var history: [(sigma: Double, q: Double, steps: Int)]
        var delta: Double
        var epsilon: Double
        var order: Double

        init(from decoder: any Decoder) throws {
            var row = try decoder.unkeyedContainer()
            var segments = try row.nestedUnkeyedContainer()
            history = []
            while !segments.isAtEnd {
                var segment = try segments.nestedUnkeyedContainer()
                history.append((try segment.decode(Double.self), try segment.decode(Double.self),
                                try segment.decode(Int.self)))
            }
            delta = try row.decode(Double.self)
            epsilon = try row.decode(Double.self)
            order = try row.decode(Double.self)
        }
    }

    struct CalibrationRow: Decodable, Sendable {
        var targetEpsilon: Double
        var q: Double
        var steps: Int
        var delta: Double
        var sigma: Double
        var epsilon: Double

        init(from decoder: any Decoder) throws {
            var row = try decoder.unkeyedContainer()
            targetEpsilon = try row.decode(Double.self)
            q = try row.decode(Double.self)
            steps = try row.decode(Int.self)
            delta = try row.decode(Double.self)
            sigma = try row.decode(Double.self)
            epsilon = try row.decode(Double.self)
        }
    }

    var orders: [Double]
    var rdpOrderIndices: [Int]
    var rdp: [RDPRow]
    var epsilon: [EpsilonRow]
    var logErfc: [[Double]]
    var rdpIntegral: [[Double]]
    var segments: [SegmentsRow]
    var noiseMultiplier: [CalibrationRow]

    static let url = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/privacy/rdp_accountant.json")

    static func load() throws -> PrivacyAccountantFixture {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return try decoder.decode(PrivacyAccountantFixture.self, from: Data(contentsOf: url))
    }

    /// |a − b| ≤ tolerance·|b|, with equal infinities accepted.
    static func isClose(_ a: Double, _ b: Double, relative tolerance: Double) -> Bool {
        a == b || abs(a - b) <= tolerance * abs(b)
    }
}

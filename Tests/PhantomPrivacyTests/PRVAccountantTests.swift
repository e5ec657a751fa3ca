import Foundation
@testable import PhantomPrivacy
import Testing

/// The PRV accountant against Opacus 1.6's `PRVAccountant` (Tests/Fixtures/privacy/prv_accountant.json,
/// made by Tests/Fixtures/make_prv_fixtures.py, with dp-accounting's PLD accountant beside it).
@Suite struct PRVAccountantTests {
    static func fixture() throws -> [String: Any] {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../Fixtures/privacy/prv_accountant.json").standardized
        return try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
    }

    static func rows(_ key: String) throws -> [[Any]] {
        try #require(try fixture()[key] as? [[Any]])
    }

    static func number(_ value: Any) -> Double { (value as! NSNumber).doubleValue }

    @Test func theLossDistributionIsOpacuss() throws {
        for row in try Self.rows("cdf") {
            let loss = SubsampledGaussianLoss(sampleRate: Self.number(row[0]), noiseMultiplier: Self.number(row[1]))
            for (t, expected) in zip(row[2] as! [NSNumber], row[3] as! [NSNumber]) {
                #expect(abs(loss.cdf(t.doubleValue) - expected.doubleValue) <= 1e-12, "q \(row[0]) σ \(row[1]) t \(t)")
            }
        }
    }

    @Test func theFixtureHasTheRows() throws {
        #expect(try Self.rows("epsilon").count == 24)
    }

    /// The upper bound (what a run reports), the estimate and the lower bound, to 1e-3 of ε; the
    /// estimate also against dp-accounting's PLD accountant. One test case per fixture row, so
    /// they run side by side.
    @Test(arguments: 0..<24) func epsilonMatchesOpacus(row index: Int) throws {
        let row = try Self.rows("epsilon")[index]
        let (sigma, q, steps, delta) = (Self.number(row[0]), Self.number(row[1]), Int(Self.number(row[2])), Self.number(row[3]))
        let accountant = PRVAccountant(segments: [try .init(noiseMultiplier: sigma, sampleRate: q, steps: steps)])
        let bounds = try accountant.bounds(delta: delta)
        let (upper, estimate, lower, pld) = (Self.number(row[4]), Self.number(row[5]), Self.number(row[6]), Self.number(row[7]))
        let label = "σ \(sigma) q \(q) steps \(steps) δ \(delta)"
        #expect(abs(bounds.upper - upper) <= 1e-3 * upper, "\(label): upper \(bounds.upper) vs \(upper)")
        #expect(abs(bounds.estimate - estimate) <= 1e-3 * estimate, "\(label): estimate \(bounds.estimate) vs \(estimate)")
        #expect(abs(bounds.lower - lower) <= 1e-3 * max(lower, 0.01), "\(label): lower \(bounds.lower) vs \(lower)")
        // Opacus's own estimate is within 2e-4 of the PLD accountant's at the smallest ε.
        #expect(abs(bounds.estimate - pld) <= 2e-3 * pld + 5e-4, "\(label): estimate \(bounds.estimate) vs PLD \(pld)")
    }

    /// Opacus's `get_noise_multiplier(accountant="prv")` on the fixture's 100-step rows (the
    /// 1000-step ones take ~20 PRV evaluations of a million-point grid, too slow for a debug test).
    @Test(arguments: [0, 2, 4, 6]) func noiseCalibrationMatchesOpacus(row index: Int) throws {
        let row = try Self.rows("noise_multiplier")[index]
        let (target, q, steps, delta, sigma) = (Self.number(row[0]), Self.number(row[1]), Int(Self.number(row[2])),
                                                Self.number(row[3]), Self.number(row[4]))
        #expect(steps == 100)
        let found = try PRVAccountant.noiseMultiplier(targetEpsilon: target, delta: delta, sampleRate: q, steps: steps)
        #expect(abs(found - sigma) <= 1e-3 * sigma, "ε \(target) q \(q): σ \(found) vs Opacus \(sigma)")
        let spent = try PRVAccountant(segments: [.init(noiseMultiplier: found, sampleRate: q, steps: steps)]).epsilon(delta: delta)
        #expect(spent <= target && spent >= target - 0.01)
    }

    @Test func segmentsCompose() throws {
        for row in try Self.rows("segments") {
            let segments = try (row[0] as! [[NSNumber]]).map {
                try RDPAccountant.Segment(noiseMultiplier: $0[0].doubleValue, sampleRate: $0[1].doubleValue, steps: $0[2].intValue)
            }
            let upper = Self.number(row[2])
            let bounds = try PRVAccountant(segments: segments).bounds(delta: Self.number(row[1]))
            #expect(abs(bounds.upper - upper) <= 1e-3 * upper, "\(segments): \(bounds.upper) vs \(upper)")
        }
    }

    @Test func tighterThanRDPAndWithinItsOwnBounds() throws {
        let segments = [try RDPAccountant.Segment(noiseMultiplier: 1.1, sampleRate: 0.01, steps: 1000)]
        let prv = try PRVAccountant(segments: segments).bounds(delta: 1e-5)
        let rdp = try RDPAccountant(segments: segments).epsilon(delta: 1e-5)
        #expect(prv.lower < prv.estimate && prv.estimate < prv.upper)
        #expect(prv.upper < rdp, "PRV \(prv.upper) is not below RDP \(rdp)")
        #expect(try PRVAccountant(segments: []).epsilon(delta: 1e-5) == 0)
        #expect(throws: AccountingError.self) { try PRVAccountant(segments: segments).bounds(delta: 0) }
    }

    @Test func theTransformInvertsAndConvolves() {
        let fourier = FastFourierTransform(count: 8)
        let a: [Double] = [1, 2, 0, 0, 0, 0, 0, 3], b: [Double] = [0.5, 0, 0, 1, 0, 0, 0, 0]
        var (ar, ai) = (a, [Double](repeating: 0, count: 8)), (br, bi) = (b, [Double](repeating: 0, count: 8))
        fourier.transform(real: &ar, imaginary: &ai)
        fourier.transform(real: &br, imaginary: &bi)
        var (cr, ci) = (zip(ar, br).map { $0 * $1 }, [Double](repeating: 0, count: 8))
        for k in 0..<8 { (cr[k], ci[k]) = (ar[k] * br[k] - ai[k] * bi[k], ar[k] * bi[k] + ai[k] * br[k]) }
        fourier.transform(real: &cr, imaginary: &ci, inverse: true)
        // Circular convolution, directly.
        let direct = (0..<8).map { n in (0..<8).reduce(0.0) { $0 + a[$1] * b[(n - $1 + 8) % 8] } }
        for n in 0..<8 { #expect(abs(cr[n] - direct[n]) < 1e-12 && abs(ci[n]) < 1e-12) }
    }
}

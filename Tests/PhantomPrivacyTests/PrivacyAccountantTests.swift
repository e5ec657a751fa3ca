import Foundation
import PhantomPrivacy
import Testing

/// Properties of the RDP accountant that need no reference library: composition, the q = 1
/// Gaussian mechanism, monotonicity, the errors it raises, and persistence.
@Suite struct PrivacyAccountantTests {
    typealias Fixture = PrivacyAccountantFixture

    /// Without subsampling the mechanism is the plain Gaussian one: RDP(α) = α / (2σ²) per step.
    @Test func fullBatchIsTheGaussianMechanism() throws {
        for sigma in [0.5, 1.0, 3.0, 10.0] {
            let rdp = try RDPAccountant.rdp(noiseMultiplier: sigma, sampleRate: 1, steps: 7)
            for (order, value) in zip(RDPAccountant.defaultOrders, rdp) {
                #expect(Fixture.isClose(value, 7 * order / (2 * sigma * sigma), relative: 1e-15))
            }
        }
    }

    /// As q → 1 the subsampled mechanism's RDP approaches the Gaussian mechanism's, at integer and
    /// fractional orders; it never exceeds it.
    @Test func nearlyFullBatchApproachesTheGaussianMechanism() throws {
        let orders = [1.5, 2.0, 3.7, 8.0]
        let sigma = 2.0
        let rdp = try RDPAccountant.rdp(noiseMultiplier: sigma, sampleRate: 1 - 1e-9, orders: orders)
        for (order, value) in zip(orders, rdp) {
            let gaussian = order / (2 * sigma * sigma)
            #expect(value <= gaussian * (1 + 1e-12))
            #expect(Fixture.isClose(value, gaussian, relative: 1e-6), "α \(order): \(value) vs \(gaussian)")
        }
    }

    /// Steps recorded one by one, in chunks, or as one segment give the same RDP; a history of
    /// several segments is the sum of their RDPs.
    @Test func segmentsWithEqualSettingsComposeToOne() throws {
        let (sigma, q) = (1.1, 0.02)
        var byStep = try RDPAccountant()
        for _ in 0..<100 { try byStep.step(noiseMultiplier: sigma, sampleRate: q) }
        var byChunks = try RDPAccountant()
        try byChunks.step(noiseMultiplier: sigma, sampleRate: q, steps: 30)
        try byChunks.step(noiseMultiplier: sigma, sampleRate: q, steps: 70)
        let whole = try RDPAccountant.rdp(noiseMultiplier: sigma, sampleRate: q, steps: 100)

        #expect(byStep.segments.count == 1 && byStep.steps == 100)
        #expect(byChunks.segments == byStep.segments)
        #expect(byStep.rdp == whole)
        #expect(try byStep.privacySpent(delta: 1e-5) == byChunks.privacySpent(delta: 1e-5))

        // Separate segments of the same settings, summed, equal one segment to rounding.
        let thirty = try RDPAccountant.rdp(noiseMultiplier: sigma, sampleRate: q, steps: 30)
        let seventy = try RDPAccountant.rdp(noiseMultiplier: sigma, sampleRate: q, steps: 70)
        for index in whole.indices {
            #expect(Fixture.isClose(thirty[index] + seventy[index], whole[index], relative: 1e-14))
        }
    }

    @Test func differentSettingsMakeNewSegmentsWhoseRDPsAdd() throws {
        var accountant = try RDPAccountant()
        try accountant.step(noiseMultiplier: 1.0, sampleRate: 0.01, steps: 40)
        try accountant.step(noiseMultiplier: 2.0, sampleRate: 0.01, steps: 10)
        try accountant.step(noiseMultiplier: 1.0, sampleRate: 0.01, steps: 60)
        #expect(accountant.segments.map(\.steps) == [40, 10, 60])
        #expect(accountant.steps == 110)

        let first = try RDPAccountant.rdp(noiseMultiplier: 1.0, sampleRate: 0.01, steps: 100)
        let second = try RDPAccountant.rdp(noiseMultiplier: 2.0, sampleRate: 0.01, steps: 10)
        for (index, value) in accountant.rdp.enumerated() {
            #expect(Fixture.isClose(value, first[index] + second[index], relative: 1e-14))
        }
        // More noise per step costs less privacy.
        var single = try RDPAccountant()
        try single.step(noiseMultiplier: 1.0, sampleRate: 0.01, steps: 110)
        #expect(try accountant.epsilon(delta: 1e-5) < single.epsilon(delta: 1e-5))
    }

    @Test func epsilonFallsWithNoiseAndRisesWithStepsAndSampleRate() throws {
        func epsilon(_ sigma: Double, _ q: Double, _ steps: Int) throws -> Double {
            try RDPAccountant(segments: [RDPAccountant.Segment(noiseMultiplier: sigma, sampleRate: q, steps: steps)])
                .epsilon(delta: 1e-5)
        }
        #expect(try epsilon(0.8, 0.01, 1000) > epsilon(1.2, 0.01, 1000))
        #expect(try epsilon(1.2, 0.01, 1000) < epsilon(1.2, 0.01, 2000))
        #expect(try epsilon(1.2, 0.01, 1000) < epsilon(1.2, 0.02, 1000))
    }

    /// The conversion alone: ε(α) = RDP − (log δ + log α)/(α − 1) + log((α − 1)/α), minimized;
    /// NaN entries are skipped; an all-NaN vector gives ε = ∞ and order NaN.
    @Test func conversionToEpsilon() throws {
        let orders = [2.0, 4.0, 8.0]
        let rdp = [0.1, 0.3, 0.5]
        let delta = 1e-3
        let expected = zip(orders, rdp).map { order, value in
            value - (log(delta) + log(order)) / (order - 1) + log((order - 1) / order)
        }
        let spent = try RDPAccountant.privacySpent(orders: orders, rdp: rdp, delta: delta)
        let best = expected.indices.min { expected[$0] < expected[$1] }!
        #expect(spent.epsilon == expected[best])
        #expect(spent.order == orders[best])
        #expect(spent.orderIsAtEnd == (best == 0 || best == 2))

        let skipping = try RDPAccountant.privacySpent(orders: orders, rdp: [.nan, 0.3, 0.5], delta: delta)
        #expect(skipping.order != 2)
        let none = try RDPAccountant.privacySpent(orders: orders, rdp: [.nan, .nan, .nan], delta: delta)
        #expect(none.epsilon == .infinity && none.order.isNaN)
        #expect(try RDPAccountant().privacySpent(delta: 1e-5) ==
                PrivacySpent(epsilon: 0, delta: 1e-5, order: 0, orderIsAtEnd: false))
    }

    @Test func invalidInputsAreErrors() throws {
        var accountant = try RDPAccountant()
        for q in [0, -0.1, 1.5, .nan] {
            #expect(throws: AccountingError("the sample rate must be in (0, 1], got \(q)")) {
                try accountant.step(noiseMultiplier: 1, sampleRate: q)
            }
        }
        for sigma in [0, -1, .infinity, .nan] {
            #expect(throws: AccountingError("the noise multiplier must be positive and finite, got \(sigma)")) {
                try accountant.step(noiseMultiplier: sigma, sampleRate: 0.1)
            }
        }
        #expect(throws: AccountingError("the number of steps must be at least 1, got 0")) {
            try accountant.step(noiseMultiplier: 1, sampleRate: 0.1, steps: 0)
        }
        #expect(accountant.segments.isEmpty)
        for delta in [0, 1, -1e-5, .nan] {
            #expect(throws: AccountingError("δ must be in (0, 1), got \(delta)")) {
                try accountant.privacySpent(delta: delta)
            }
        }
        #expect(throws: AccountingError("there are no RDP orders")) { try RDPAccountant(orders: []) }
        for order in [1.0, 0.5, .infinity] {
            #expect(throws: AccountingError("RDP orders must be finite and greater than 1, got \(order)")) {
                try RDPAccountant(orders: [2, order])
            }
        }
        #expect(throws: AccountingError("2 RDP values for 3 orders")) {
            try RDPAccountant.privacySpent(orders: [2, 3, 4], rdp: [1, 2], delta: 1e-5)
        }
        #expect(throws: AccountingError.self) {
            try RDPAccountant.Segment(noiseMultiplier: 1, sampleRate: 2, steps: 1)
        }
    }

    @Test func calibrationRejectsWhatItCannotReach() throws {
        // ε never falls below ~0.10 at δ = 1e-5 with these orders, whatever σ.
        do {
            _ = try RDPAccountant.noiseMultiplier(targetEpsilon: 0.05, delta: 1e-5, sampleRate: 0.01, steps: 1000)
            Issue.record("an unreachable ε was accepted")
        } catch let error as AccountingError {
            #expect(error.reason.hasPrefix("the privacy budget is too low: ε = 0.05 at δ = 1e-05"))
            #expect(error.reason.hasSuffix("up to 1310720.0"))
        }
        for target in [0, -1, .infinity, .nan] {
            #expect(throws: AccountingError("the target ε must be positive and finite, got \(target)")) {
                try RDPAccountant.noiseMultiplier(targetEpsilon: target, delta: 1e-5, sampleRate: 0.01, steps: 10)
            }
        }
        #expect(throws: AccountingError.self) {
            try RDPAccountant.noiseMultiplier(targetEpsilon: 1, delta: 1e-5, sampleRate: 0, steps: 10)
        }
        #expect(throws: AccountingError.self) {
            try RDPAccountant.noiseMultiplier(targetEpsilon: 1, delta: 1, sampleRate: 0.1, steps: 10)
        }
        #expect(throws: AccountingError.self) {
            try RDPAccountant.noiseMultiplier(targetEpsilon: 1, delta: 1e-5, sampleRate: 0.1, steps: 0)
        }
    }

    /// A large budget bisects below the first bracket (σ < 20), a tighter tolerance lands closer.
    @Test func calibrationMeetsTheTargetFromBelow() throws {
        for (target, tolerance) in [(50.0, 0.01), (2.0, 1e-4)] {
            let sigma = try RDPAccountant.noiseMultiplier(
                targetEpsilon: target, delta: 1e-5, sampleRate: 0.05, steps: 500, epsilonTolerance: tolerance)
            let epsilon = try RDPAccountant(segments: [
                RDPAccountant.Segment(noiseMultiplier: sigma, sampleRate: 0.05, steps: 500),
            ]).epsilon(delta: 1e-5)
            #expect(epsilon <= target && epsilon >= target - tolerance, "σ \(sigma): ε \(epsilon)")
        }
    }

    /// The accountant round-trips through JSON (run.json), and decoding validates.
    @Test func persistsAsJSON() throws {
        var accountant = try RDPAccountant()
        try accountant.step(noiseMultiplier: 1.3, sampleRate: 0.004, steps: 250)
        try accountant.step(noiseMultiplier: 0.9, sampleRate: 0.004, steps: 5)
        let data = try JSONEncoder().encode(accountant)
        let decoded = try JSONDecoder().decode(RDPAccountant.self, from: data)
        #expect(decoded == accountant)
        #expect(try decoded.epsilon(delta: 1e-5) == accountant.epsilon(delta: 1e-5))

        let bad = Data(#"{"orders":[2,3],"segments":[{"noiseMultiplier":1,"sampleRate":0,"steps":3}]}"#.utf8)
        #expect(throws: AccountingError.self) { try JSONDecoder().decode(RDPAccountant.self, from: bad) }
    }
}

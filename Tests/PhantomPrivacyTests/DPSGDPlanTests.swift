import Foundation
import PhantomPrivacy
import Testing

/// `DPSGDOptions.plan`: the settings `phantom train --dp-*` turns into, and the guarantee it records.
@Suite struct DPSGDPlanTests {
    @Test func aTargetEpsilonIsCalibratedAndReachedWithinOpacusTolerance() throws {
        let plan = try DPSGDOptions.plan(targetEpsilon: 3, noiseMultiplier: nil, delta: nil, maxGradNorm: 0.5, noiseDraws: 4,
                                         datasetSize: 1000, expectedBatchSize: 50, steps: 400)
        #expect(plan.sampleRate == 0.05)
        #expect(plan.delta == 1e-4, "δ defaults to 1/(10·N)")
        #expect(plan.accountant == .rdp, "the accountant defaults to RDP")
        #expect(plan.maxGradNorm == 0.5 && plan.noiseDraws == 4 && plan.targetEpsilon == 3)
        let spent = try plan.epsilon(afterSteps: 400)
        #expect(spent <= 3 && spent >= 3 - 0.01)
        #expect(try plan.epsilon(afterSteps: 200) < spent, "fewer steps spend less")
        #expect(try plan.epsilon(afterSteps: 0) == 0)
    }

    @Test func aGivenNoiseMultiplierIsKeptAndItsEpsilonReported() throws {
        let plan = try DPSGDOptions.plan(targetEpsilon: nil, noiseMultiplier: 1.1, delta: 1e-5, maxGradNorm: 1, noiseDraws: 1,
                                         datasetSize: 60_000, expectedBatchSize: 256, steps: 10_000)
        #expect(plan.noiseMultiplier == 1.1)
        var accountant = try RDPAccountant()
        try accountant.step(noiseMultiplier: 1.1, sampleRate: 256.0 / 60_000, steps: 10_000)
        #expect(try plan.epsilon(afterSteps: 10_000) == accountant.epsilon(delta: 1e-5))
    }

    @Test func badSettingsAreRefusedWithAReason() {
        func reason(_ body: () throws -> DPSGDOptions) -> String? {
            do { _ = try body(); return nil } catch { return "\(error)" }
        }
        let tooSmall = reason {
            try DPSGDOptions.plan(targetEpsilon: 0.01, noiseMultiplier: nil, delta: 1e-5, maxGradNorm: 1, noiseDraws: 1,
                                  datasetSize: 100, expectedBatchSize: 100, steps: 10_000)
        }
        #expect(tooSmall?.contains("too low") == true, "\(tooSmall ?? "no error")")
        #expect(reason { try DPSGDOptions.plan(targetEpsilon: 1, noiseMultiplier: 1, delta: nil, maxGradNorm: 1, noiseDraws: 1,
                                               datasetSize: 10, expectedBatchSize: 2, steps: 10) } != nil)
        #expect(reason { try DPSGDOptions.plan(targetEpsilon: 1, noiseMultiplier: nil, delta: nil, maxGradNorm: 1, noiseDraws: 1,
                                               datasetSize: 10, expectedBatchSize: 20, steps: 10) }?.contains("batch") == true)
        #expect(reason { try DPSGDOptions.plan(targetEpsilon: 1, noiseMultiplier: nil, delta: nil, maxGradNorm: 0, noiseDraws: 1,
                                               datasetSize: 10, expectedBatchSize: 2, steps: 10) } != nil)
        #expect(reason { try DPSGDOptions.plan(targetEpsilon: 1, noiseMultiplier: nil, delta: nil, maxGradNorm: 1, noiseDraws: 0,
                                               datasetSize: 10, expectedBatchSize: 2, steps: 10) } != nil)
    }

    @Test func theGuaranteeRoundTripsThroughJSON() throws {
        let options = DPSGDOptions(noiseMultiplier: 0.8, maxGradNorm: 1, sampleRate: 0.01, noiseDraws: 2, delta: 1e-5, targetEpsilon: 10)
        let guarantee = DPSGDGuarantee(options: options, steps: 500)
        let data = try JSONSerialization.data(withJSONObject: guarantee.jsonObject)
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        var read = try #require(DPSGDGuarantee(jsonObject: object))
        #expect(abs(read.epsilon - guarantee.epsilon) <= 1e-12 * guarantee.epsilon, "JSON keeps 15–16 digits")
        read.epsilon = guarantee.epsilon
        #expect(read == guarantee)
        #expect((object["not_covered"] as? [String])?.isEmpty == false)
        let noiseless = DPSGDGuarantee(options: DPSGDOptions(noiseMultiplier: 0, maxGradNorm: 1, sampleRate: 1, delta: 1e-5), steps: 3)
        #expect(noiseless.epsilon == .infinity && noiseless.jsonObject["epsilon"] as? String == "inf")
    }

    /// `--dp-accountant prv`: the tighter accountant needs less noise for the same ε, reports
    /// the PRV upper bound, and is recorded; settings written before the choice existed read as RDP.
    @Test func thePRVAccountantCalibratesLessNoiseAndIsRecorded() throws {
        func plan(_ accountant: DPSGDOptions.Accountant) throws -> DPSGDOptions {
            try DPSGDOptions.plan(targetEpsilon: 4, noiseMultiplier: nil, delta: 1e-5, maxGradNorm: 1, noiseDraws: 1,
                                  datasetSize: 1000, expectedBatchSize: 20, steps: 100, accountant: accountant)
        }
        let rdp = try plan(.rdp), prv = try plan(.prv)
        #expect(prv.accountant == .prv && rdp.accountant == .rdp)
        // Opacus 1.6's get_noise_multiplier for these settings: 0.6884765625 (prv), 0.7421875 (rdp).
        #expect(prv.noiseMultiplier == 0.6884765625 && rdp.noiseMultiplier == 0.7421875,
                "PRV σ \(prv.noiseMultiplier), RDP σ \(rdp.noiseMultiplier)")
        let spent = try prv.epsilon(afterSteps: 100)
        let segments = [try RDPAccountant.Segment(noiseMultiplier: prv.noiseMultiplier, sampleRate: 0.02, steps: 100)]
        #expect(spent == (try PRVAccountant(segments: segments).epsilon(delta: 1e-5)) && spent <= 4 && spent >= 3.99)

        let guarantee = DPSGDGuarantee(options: prv, steps: 100)
        #expect((guarantee.jsonObject["accountant"] as? String)?.hasPrefix("prv") == true)
        let data = try JSONSerialization.data(withJSONObject: guarantee.jsonObject)
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let read = try #require(DPSGDGuarantee(jsonObject: object))
        #expect(read.options.accountant == .prv)

        let encoded = try JSONEncoder().encode(prv)
        #expect(try JSONDecoder().decode(DPSGDOptions.self, from: encoded) == prv)
        var old = try #require(try JSONSerialization.jsonObject(with: encoded) as? [String: Any])
        old["accountant"] = nil
        #expect(try JSONDecoder().decode(DPSGDOptions.self, from: JSONSerialization.data(withJSONObject: old)).accountant == .rdp)
    }

    @Test func aManifestSaysWhenSamplesWereScreenedAgainstTheTrainingImages() {
        let guarantee = DPSGDGuarantee(options: DPSGDOptions(noiseMultiplier: 1, maxGradNorm: 1, sampleRate: 0.1, delta: 1e-5), steps: 10)
        #expect(guarantee.manifestObject(screenedAgainstTrainingImages: false)["screening"] == nil)
        #expect((guarantee.manifestObject(screenedAgainstTrainingImages: true)["screening"] as? String)?.contains("not cover") == true)
        #expect(guarantee.manifestObject(screenedAgainstTrainingImages: true)["epsilon"] as? Double == guarantee.epsilon)
    }
}

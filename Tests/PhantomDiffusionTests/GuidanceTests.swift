import Foundation
import PhantomDiffusion
import PhantomLayers
import PhantomTensor
import Testing

/// Guidance limited to an interval of noise levels σ_t = √((1 − ᾱ_t)/ᾱ_t).
@Suite(.serialized) struct GuidanceTests {
    static let schedule = SchedulerConfig(kind: .dpmSolverMultistep).noiseSchedule

    static func sigma(_ timestep: Int) -> Float { schedule.noiseLevel(at: timestep) }

    @Test func inForceExactlyWithinItsInterval() {
        let middle = Self.sigma(500)
        #expect(abs(middle - 3.443) < 0.01)   // 1000 linear-β steps: σ_500 = √((1 − ᾱ)/ᾱ) ≈ 3.44
        let guidance = Guidance(scale: 3, sigmas: Self.sigma(200)...middle)
        for t in [200, 350, 500] { #expect(guidance.inForce(at: t, schedule: Self.schedule) == Guidance(scale: 3)) }
        for t in [199, 501] { #expect(guidance.inForce(at: t, schedule: Self.schedule) == .none) }
        #expect(Guidance(scale: 3).inForce(at: 999, schedule: Self.schedule) == Guidance(scale: 3))
    }

    @Test func eachGuidanceKeepsToItsOwnInterval() {
        // Classifier-free guidance at the noisiest steps (σ ≥ 10), autoguidance at the cleaner ones (σ ≤ 10).
        let split = Guidance(scale: 2, guideScale: 3, sigmas: 10...1000, guideSigmas: 0...10)
        #expect(split.inForce(at: 999, schedule: Self.schedule) == Guidance(scale: 2))
        #expect(split.inForce(at: 500, schedule: Self.schedule) == Guidance(scale: 1, guideScale: 3))
        #expect(split.inForce(at: 0, schedule: Self.schedule) == Guidance(scale: 1, guideScale: 3))
        let both = Guidance(scale: 2, guideScale: 3, guideSigmas: 0...10)
        #expect(both.inForce(at: 500, schedule: Self.schedule) == Guidance(scale: 2, guideScale: 3))
        #expect(both.inForce(at: 999, schedule: Self.schedule) == Guidance(scale: 2))
    }

    func draw(_ guidance: Guidance) throws -> [Float] {
        let sampler = Sampler(unet: SamplerDeterminismTests.model(convolution: .automatic),
                              scheduler: SchedulerConfig(kind: .dpmSolverMultistep).makeScheduler(), nullClass: 2)
        return try sampler.sample(indices: [0, 1], labels: [0, 1], seed: 5, steps: 6, guidance: guidance).values
    }

    @Test func anIntervalHoldingEveryStepIsFullGuidanceAndOneHoldingNoneIsNoGuidance() throws {
        let full = try draw(Guidance(scale: 3))
        let plain = try draw(.none)
        #expect(full != plain)
        #expect(try draw(Guidance(scale: 3, sigmas: 0.001...1000)) == full)
        #expect(try draw(Guidance(scale: 3, sigmas: 1000...2000)) == plain)
        // Guiding only the noisiest of the 6 steps (t = 999, σ ≈ 157) changes the images, but not as full guidance does.
        let first = try draw(Guidance(scale: 3, sigmas: 100...200))
        #expect(first != plain && first != full)
    }
}

/// What a samples manifest records of the guidance.
@Suite struct GuidanceManifestTests {
    @Test func fieldsNameTheScalesAndTheInterval() {
        let plain = Guidance.none.manifestFields
        #expect(plain["guidance_scale"] as? Double == 1)
        #expect(plain["guidance_interval"] is NSNull && plain["guide_scale"] is NSNull)
        #expect(plain["guide_interval"] is NSNull)
        let both = Guidance(scale: 1.5, guideScale: 2, sigmas: 0.5...30, guideSigmas: 0...10).manifestFields
        #expect(both["guidance_scale"] as? Double == 1.5)
        #expect(both["guidance_interval"] as? [Double] == [0.5, 30])
        #expect(both["guide_scale"] as? Double == 2)
        #expect(both["guide_interval"] as? [Double] == [0, 10])
        #expect(Guidance(scale: 1, guideScale: 2).manifestFields["guide_interval"] is NSNull)   // every step
    }
}

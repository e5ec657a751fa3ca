import Foundation
import PhantomDiffusion
import PhantomLayers
import PhantomTensor
import Testing

/// Classifier-free guidance limited to an interval of noise levels σ_t = √((1 − ᾱ_t)/ᾱ_t).
@Suite(.serialized) struct GuidanceTests {
    static let schedule = SchedulerConfig(kind: .dpmSolverMultistep).noiseSchedule

    static func sigma(_ timestep: Int) -> Float { schedule.noiseLevel(at: timestep) }

    @Test func activeExactlyWithinTheInterval() {
        let middle = Self.sigma(500)
        #expect(abs(middle - 3.443) < 0.01)   // 1000 linear-β steps: σ_500 = √((1 − ᾱ)/ᾱ) ≈ 3.44
        let guidance = Guidance(scale: 3, sigmas: Self.sigma(200)...middle)
        #expect(guidance.isActive(at: 200, schedule: Self.schedule))
        #expect(guidance.isActive(at: 350, schedule: Self.schedule))
        #expect(guidance.isActive(at: 500, schedule: Self.schedule))
        #expect(!guidance.isActive(at: 199, schedule: Self.schedule))
        #expect(!guidance.isActive(at: 501, schedule: Self.schedule))
        #expect(Guidance(scale: 3).isActive(at: 999, schedule: Self.schedule))
        // Scale 1 is plain conditional sampling, whatever the interval.
        #expect(!Guidance(scale: 1, sigmas: 0.001...1000).isActive(at: 500, schedule: Self.schedule))
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
        let both = Guidance(scale: 1.5, guideScale: 2, sigmas: 0.5...30).manifestFields
        #expect(both["guidance_scale"] as? Double == 1.5)
        #expect(both["guidance_interval"] as? [Double] == [0.5, 30])
        #expect(both["guide_scale"] as? Double == 2)
    }
}

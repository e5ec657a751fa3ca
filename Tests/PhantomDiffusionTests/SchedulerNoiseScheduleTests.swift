import Foundation
import PhantomDiffusion
import PhantomTensor
import Testing

/// ᾱ, `add_noise` and the training targets against diffusers.
@Suite struct SchedulerNoiseScheduleTests {
    @Test(arguments: SchedulerFixture.names)
    func alphasCumprodEqualDiffusersFloat32(name: String) throws {
        let fixture = try SchedulerFixture(name)
        let expected = try SchedulerFixture.floats(fixture["alphas_cumprod"])
        let actual = try fixture.config().noiseSchedule.alphasCumprod
        try #require(actual.count == expected.count)
        let mismatches = zip(actual, expected).filter { $0 != $1 }.count
        let worst = zip(actual, expected).map { abs($0 / $1 - 1) }.max()!
        #expect(mismatches == 0, "\(name): \(mismatches) values differ, worst relative error \(worst)")
    }

    @Test(arguments: SchedulerFixture.names(prefix: "ddim"))
    func ddimFinalAlphaEqualsDiffusers(name: String) throws {
        let fixture = try SchedulerFixture(name)
        let scheduler = DDIMScheduler(config: try fixture.config())
        let expected = try #require(fixture["final_alpha_cumprod"] as? NSNumber).doubleValue
        #expect(scheduler.finalAlphaCumprod == Float(expected))
    }

    @Test(arguments: SchedulerFixture.names.filter { $0 != "ddpm_trajectory_10" })
    func addNoiseMatchesDiffusers(name: String) throws {
        let fixture = try SchedulerFixture(name)
        let schedule = try fixture.config().noiseSchedule
        let cases = try #require(fixture["add_noise"] as? [[String: Any]])
        for item in cases {
            let original = try SchedulerFixture.tensor(item["original_samples"])
            let noise = try SchedulerFixture.tensor(item["noise"])
            let noisy = Tensor(zeros: original.shape)
            schedule.addNoise(original: original, noise: noise, timesteps: try SchedulerFixture.ints(item["timesteps"]),
                              into: noisy)
            let error = SchedulerFixture.error(noisy, try SchedulerFixture.tensor(item["noisy_samples"]))
            #expect(error < 1e-6, "\(name): add_noise error \(error)")
        }
    }

    @Test func targetsFollowThePredictionType() throws {
        let original = Tensor(shape: [2, 1, 1, 3], values: [0.5, -1, 0.25, 1, 0, -0.75])
        let noise = Tensor(shape: [2, 1, 1, 3], values: [1.5, 0.5, -2, 0.1, -0.3, 0.9])
        let timesteps = [17, 900]
        let target = Tensor(zeros: original.shape)

        NoiseSchedule(predictionType: .epsilon).target(original: original, noise: noise, timesteps: timesteps, into: target)
        #expect(target.values == noise.values)
        NoiseSchedule(predictionType: .sample).target(original: original, noise: noise, timesteps: timesteps, into: target)
        #expect(target.values == original.values)

        // v = √ᾱ ε − √(1−ᾱ) x₀, so √ᾱ x_t − √(1−ᾱ) v gives back x₀ (ᾱ + (1−ᾱ) = 1).
        let schedule = NoiseSchedule(predictionType: .vPrediction)
        schedule.target(original: original, noise: noise, timesteps: timesteps, into: target)
        let noisy = Tensor(zeros: original.shape)
        schedule.addNoise(original: original, noise: noise, timesteps: timesteps, into: noisy)
        for i in 0..<original.count {
            let alpha = schedule.alphasCumprod[timesteps[i / 3]]
            let recovered = alpha.squareRoot() * noisy.data[i] - (1 - alpha).squareRoot() * target.data[i]
            #expect(abs(recovered - original.data[i]) < 1e-6)
        }
        let alpha = schedule.alphasCumprod[900]
        #expect(target.data[3] == alpha.squareRoot() * noise.data[3] - (1 - alpha).squareRoot() * original.data[3])
    }

    @Test func addNoiseWritesInPlace() {
        let schedule = NoiseSchedule()
        let original = Tensor(shape: [1, 4], values: [0.5, -1, 0.25, 1])
        let noise = Tensor(shape: [1, 4], values: [1, 2, 3, 4])
        let separate = Tensor(zeros: [1, 4])
        schedule.addNoise(original: original, noise: noise, timesteps: [500], into: separate)
        schedule.addNoise(original: original, noise: noise, timesteps: [500], into: original)
        #expect(original.values == separate.values)
    }
}

import Foundation
import PhantomDiffusion
import Testing

/// `set_timesteps` lists and DPM-Solver sigmas against diffusers.
@Suite struct SchedulerTimestepTests {
    @Test(arguments: SchedulerFixture.names.filter { $0 != "ddpm_trajectory_10" })
    func timestepListsEqualDiffusers(name: String) throws {
        let fixture = try SchedulerFixture(name)
        let config = try fixture.config()
        let lists = try #require(fixture["set_timesteps"] as? [String: Any])
        #expect(lists.count == 9)
        for (countText, value) in lists {
            let count = try #require(Int(countText))
            let expected = try SchedulerFixture.ints(value)
            let scheduler = config.makeScheduler()
            if expected.allSatisfy({ (0..<config.numTrainTimesteps).contains($0) }) {
                #expect(try scheduler.setTimesteps(count) == expected, "\(name), \(count) steps")
                #expect(scheduler.timesteps == expected)
            } else {
                // Leading spacing, steps_offset 1, 1000 steps: diffusers' list starts at 1000.
                #expect(config.timestepSpacing == .leading && config.stepsOffset == 1 && count == 1000)
                let error = #expect(throws: ModelError.self) { try scheduler.setTimesteps(count) }
                #expect(error?.reason.contains("\"steps_offset\" = 1") == true)
                #expect(error?.reason.contains("timestep 1000") == true)
            }
        }
    }

    @Test(arguments: SchedulerFixture.names(prefix: "dpmpp"))
    func solverTimestepsAndSigmasEqualDiffusers(name: String) throws {
        let fixture = try SchedulerFixture(name)
        let scheduler = DPMSolverMultistepScheduler(config: try fixture.config())
        let count = try #require(fixture["num_inference_steps"] as? Int)
        #expect(try scheduler.setTimesteps(count) == SchedulerFixture.ints(fixture["timesteps"]))
        // PyTorch's float32 sqrt is not always correctly rounded (1 ulp off at a few
        // timesteps); Phantom's is, so allow one ulp.
        let expected = try SchedulerFixture.floats(fixture["sigmas"])
        try #require(scheduler.sigmas.count == expected.count)
        for (actual, wanted) in zip(scheduler.sigmas, expected) {
            #expect(abs(actual - wanted) <= wanted.ulp, "\(name): sigma \(actual), diffusers \(wanted)")
        }
    }

    @Test func ddpmStartsWithEveryTrainingTimestep() {
        let scheduler = DDPMScheduler(config: SchedulerConfig(kind: .ddpm))
        #expect(scheduler.timesteps == Array((0..<1000).reversed()))
    }

    @Test(arguments: SchedulerConfig.Kind.allCases)
    func stepCountsOutsideTheTrainingRangeAreRejected(kind: SchedulerConfig.Kind) {
        let scheduler = SchedulerConfig(kind: kind).makeScheduler()
        for count in [0, -3, 1001] {
            let error = #expect(throws: ModelError.self) { try scheduler.setTimesteps(count) }
            #expect(error?.reason.contains("must be in 1...1000") == true)
        }
    }

    /// numpy's `arange(1000, 0, -1000/61)` has 62 elements, so diffusers' trailing list for
    /// 61 steps ends with timestep −1 (which would index ᾱ from the end).
    @Test func trailingStepCountsThatReachBelowZeroAreRejected() {
        var config = SchedulerConfig(kind: .ddim)
        config.timestepSpacing = .trailing
        let scheduler = config.makeScheduler()
        let error = #expect(throws: ModelError.self) { try scheduler.setTimesteps(61) }
        #expect(error?.reason.contains("timestep -1") == true)
        #expect(throws: Never.self) { try scheduler.setTimesteps(60) }
    }
}

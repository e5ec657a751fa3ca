import Foundation
import PhantomDiffusion
import PhantomTensor
import Testing

/// Single steps and whole sampling runs against diffusers.
@Suite struct SchedulerStepTests {
    @Test(arguments: SchedulerFixture.names(prefix: "ddpm").filter { $0 != "ddpm_trajectory_10" })
    func ddpmStepsMatchDiffusers(name: String) throws {
        let fixture = try SchedulerFixture(name)
        let config = try fixture.config()
        let inputs = try #require(fixture["step_inputs"] as? [String: Any])
        let sample = try SchedulerFixture.tensor(inputs["sample"])
        let modelOutput = try SchedulerFixture.tensor(inputs["model_output"])
        let noise = try SchedulerFixture.tensor(inputs["variance_noise"])
        for item in try #require(fixture["step"] as? [[String: Any]]) {
            let scheduler = DDPMScheduler(config: config)
            if let count = item["num_inference_steps"] as? Int { try scheduler.setTimesteps(count) }
            let timestep = try #require(item["timestep"] as? Int)
            let index = try #require(item["step_index"] as? Int)
            #expect(scheduler.timesteps[index] == timestep)
            #expect(scheduler.needsNoise(at: timestep) == (item["noise_drawn"] as? Bool))
            let result = scheduler.step(modelOutput: modelOutput, timestep: timestep, sample: sample,
                                        noise: scheduler.needsNoise(at: timestep) ? noise : nil)
            let error = SchedulerFixture.error(result, try SchedulerFixture.tensor(item["prev_sample"]))
            #expect(error < 1e-5, "\(name) t=\(timestep): prev_sample error \(error)")
        }
    }

    @Test func ddpmTrajectoryMatchesDiffusers() throws {
        let fixture = try SchedulerFixture("ddpm_trajectory_10")
        let scheduler = DDPMScheduler(config: try fixture.config())
        let count = try #require(fixture["num_inference_steps"] as? Int)
        #expect(try scheduler.setTimesteps(count) == SchedulerFixture.ints(fixture["timesteps"]))
        let sample = try SchedulerFixture.tensor(fixture["initial_sample"])
        var recordedPrevious = try SchedulerFixture.tensor(fixture["initial_sample"])
        for item in try #require(fixture["steps"] as? [[String: Any]]) {
            let timestep = try #require(item["timestep"] as? Int)
            let noise = item["variance_noise"] is NSNull ? nil : try SchedulerFixture.tensor(item["variance_noise"])
            #expect(scheduler.needsNoise(at: timestep) == (noise != nil))
            let expected = try SchedulerFixture.tensor(item["prev_sample"])

            // One step from diffusers' own previous sample and model output.
            let single = scheduler.step(modelOutput: try SchedulerFixture.tensor(item["model_output"]),
                                        timestep: timestep, sample: recordedPrevious, noise: noise)
            let stepError = SchedulerFixture.error(single, expected)
            #expect(stepError < 1e-5, "t=\(timestep): step error \(stepError)")
            recordedPrevious = expected

            // The whole run, in place, with the fake model evaluated here.
            scheduler.step(modelOutput: SchedulerFixture.fakeModel(sample, timestep), timestep: timestep,
                           sample: sample, noise: noise, into: sample)
            let runError = SchedulerFixture.error(sample, expected)
            #expect(runError < 1e-5, "t=\(timestep): trajectory error \(runError)")
        }
    }

    @Test(arguments: SchedulerFixture.names(prefix: "ddim"))
    func ddimStepsMatchDiffusers(name: String) throws {
        let fixture = try SchedulerFixture(name)
        let config = try fixture.config()
        let eta = Float(try #require(fixture["eta"] as? NSNumber).doubleValue)
        let inputs = try #require(fixture["step_inputs"] as? [String: Any])
        let sample = try SchedulerFixture.tensor(inputs["sample"])
        let modelOutput = try SchedulerFixture.tensor(inputs["model_output"])
        let noise = inputs["variance_noise"] is NSNull ? nil : try SchedulerFixture.tensor(inputs["variance_noise"])
        for item in try #require(fixture["step"] as? [[String: Any]]) {
            let scheduler = DDIMScheduler(config: config, eta: eta)
            try scheduler.setTimesteps(try #require(item["num_inference_steps"] as? Int))
            let timestep = try #require(item["timestep"] as? Int)
            #expect(scheduler.needsNoise(at: timestep) == (noise != nil))
            let result = scheduler.step(modelOutput: modelOutput, timestep: timestep, sample: sample, noise: noise)
            let error = SchedulerFixture.error(result, try SchedulerFixture.tensor(item["prev_sample"]))
            #expect(error < 1e-5, "\(name) t=\(timestep): prev_sample error \(error)")
        }
    }

    @Test(arguments: SchedulerFixture.names(prefix: "ddim"))
    func ddimTrajectoriesMatchDiffusers(name: String) throws {
        let fixture = try SchedulerFixture(name)
        let trajectory = try #require(fixture["trajectory"] as? [String: Any])
        let eta = Float(try #require(trajectory["eta"] as? NSNumber).doubleValue)
        let scheduler = try fixture.config().makeScheduler(eta: eta)
        let count = try #require(trajectory["num_inference_steps"] as? Int)
        #expect(try scheduler.setTimesteps(count) == SchedulerFixture.ints(trajectory["timesteps"]))
        let sample = try SchedulerFixture.tensor(trajectory["initial_sample"])
        for item in try #require(trajectory["steps"] as? [[String: Any]]) {
            let timestep = try #require(item["timestep"] as? Int)
            let noise = item["variance_noise"] is NSNull ? nil : try SchedulerFixture.tensor(item["variance_noise"])
            scheduler.step(modelOutput: SchedulerFixture.fakeModel(sample, timestep), timestep: timestep,
                           sample: sample, noise: noise, into: sample)
            let error = SchedulerFixture.error(sample, try SchedulerFixture.tensor(item["prev_sample"]))
            #expect(error < 1e-5, "\(name) t=\(timestep): trajectory error \(error)")
        }
    }

    @Test(arguments: SchedulerFixture.names(prefix: "dpmpp"))
    func dpmSolverTrajectoriesMatchDiffusers(name: String) throws {
        let fixture = try SchedulerFixture(name)
        let scheduler = DPMSolverMultistepScheduler(config: try fixture.config())
        try scheduler.setTimesteps(try #require(fixture["num_inference_steps"] as? Int))
        let trajectory = try #require(fixture["trajectory"] as? [String: Any])
        let steps = try #require(trajectory["steps"] as? [[String: Any]])
        for run in 0..<2 {  // the second run checks that setTimesteps cleared the history
            if run == 1 { try scheduler.setTimesteps(scheduler.timesteps.count) }
            let sample = try SchedulerFixture.tensor(trajectory["initial_sample"])
            for item in steps {
                let timestep = try #require(item["timestep"] as? Int)
                #expect(!scheduler.needsNoise(at: timestep))
                scheduler.step(modelOutput: SchedulerFixture.fakeModel(sample, timestep), timestep: timestep,
                               sample: sample, noise: nil, into: sample)
                #expect(scheduler.lastStepOrder == item["order"] as? Int, "\(name) t=\(timestep)")
                let error = SchedulerFixture.error(sample, try SchedulerFixture.tensor(item["prev_sample"]))
                #expect(error < 1e-5, "\(name) t=\(timestep): trajectory error \(error)")
            }
        }
    }

    /// With the final σ 0 the last step returns the x₀ estimate (x − σ ε) / α exactly.
    @Test func dpmSolverLastStepReturnsTheOriginalEstimate() throws {
        let scheduler = DPMSolverMultistepScheduler(config: SchedulerConfig(kind: .dpmSolverMultistep))
        let timesteps = try scheduler.setTimesteps(5)
        let sample = Tensor(shape: [1, 1, 2, 2], values: [0.3, -1.2, 2.5, 0.01])
        var result = sample
        for t in timesteps.dropLast() {
            result = scheduler.step(modelOutput: SchedulerFixture.fakeModel(result, t), timestep: t, sample: result, noise: nil)
        }
        let last = timesteps.last!
        let output = SchedulerFixture.fakeModel(result, last)
        let final = scheduler.step(modelOutput: output, timestep: last, sample: result, noise: nil)
        let sigma = scheduler.sigmas[timesteps.count - 1]
        let alpha = 1 / (sigma * sigma + 1).squareRoot()
        let expected = (0..<4).map { (result.data[$0] - sigma * alpha * output.data[$0]) / alpha }
        #expect(final.values == expected)
        #expect(scheduler.lastStepOrder == 1)
    }

    @Test func dpmSolverResetRestartsTheSchedule() throws {
        let scheduler = DPMSolverMultistepScheduler(config: SchedulerConfig(kind: .dpmSolverMultistep))
        let timesteps = try scheduler.setTimesteps(4)
        func run() -> [Float] {
            let sample = Tensor(shape: [2, 3], values: [0.5, -0.5, 1, 2, -2, 0])
            for t in timesteps {
                scheduler.step(modelOutput: SchedulerFixture.fakeModel(sample, t), timestep: t, sample: sample,
                               noise: nil, into: sample)
            }
            return sample.values
        }
        let first = run()
        scheduler.reset()
        #expect(run() == first)
    }

    @Test(arguments: SchedulerConfig.Kind.allCases)
    func factoryMakesTheConfiguredClass(kind: SchedulerConfig.Kind) {
        let scheduler = SchedulerConfig(kind: kind).makeScheduler(eta: 0.5)
        #expect(scheduler.config.kind == kind)
        #expect(scheduler.initNoiseSigma == 1)
        switch kind {
        case .ddpm: #expect(scheduler is DDPMScheduler)
        case .ddim: #expect((scheduler as? DDIMScheduler)?.eta == 0.5)
        case .dpmSolverMultistep: #expect(scheduler is DPMSolverMultistepScheduler)
        }
    }
}

import Foundation
import PhantomDiffusion
import Testing

/// Reading, validating and writing `scheduler_config.json`.
@Suite struct SchedulerConfigTests {
    @Test(arguments: SchedulerFixture.names)
    func writesWhatDiffusersWrites(name: String) throws {
        let fixture = try SchedulerFixture(name)
        var expected = fixture.configDictionary
        // −∞ is the default and has no standard JSON spelling: Phantom leaves it out.
        #expect(expected.removeValue(forKey: "lambda_min_clipped") as? String == (name.hasPrefix("dpmpp") ? "-Infinity" : nil))
        let written = try fixture.config().jsonObject()
        #expect(Set(written.keys) == Set(expected.keys))
        #expect(written as NSDictionary == expected as NSDictionary)
    }

    @Test(arguments: SchedulerFixture.names)
    func roundTripsThroughJSON(name: String) throws {
        let config = try SchedulerFixture(name).config()
        let reread = try SchedulerConfig(json: config.jsonData(), source: "written")
        #expect(reread == config)
    }

    @Test func readsPythonsBareInfinity() throws {
        let text = """
            {"_class_name": "DPMSolverMultistepScheduler", "lambda_min_clipped": -Infinity,
             "note": "a string with -Infinity and \\"NaN\\" inside", "solver_order": 1}
            """
        let config = try SchedulerConfig(json: Data(text.utf8), source: "scheduler_config.json")
        #expect(config.kind == .dpmSolverMultistep)
        #expect(config.solverOrder == 1)
        #expect(config.ignoredKeys == ["note"])
    }

    @Test func defaultsAreDiffusersDefaults() throws {
        let ddpm = try SchedulerConfig(dictionary: ["_class_name": "DDPMScheduler"], source: "minimal")
        #expect(ddpm == SchedulerConfig(kind: .ddpm))
        #expect(ddpm.timestepSpacing == .leading && ddpm.clipSample && ddpm.varianceType == .fixedSmall)
        let dpm = try SchedulerConfig(dictionary: ["_class_name": "DPMSolverMultistepScheduler"], source: "minimal")
        #expect(dpm == SchedulerConfig(kind: .dpmSolverMultistep))
        #expect(dpm.timestepSpacing == .linspace && dpm.solverOrder == 2 && dpm.finalSigmasType == .zero)
    }

    @Test func reportsKeysItIgnores() throws {
        let config = try SchedulerConfig(
            dictionary: ["_class_name": "DDPMScheduler", "set_alpha_to_one": false, "future_option": 3,
                         "_name_or_path": "somewhere"],
            source: "extra")
        #expect(config.ignoredKeys == ["future_option", "set_alpha_to_one"])
    }

    /// Class, key, value, and the value as the error message shows it.
    static var rejected: [(kind: String, key: String, value: Any, shown: String)] { [
        ("DDPMScheduler", "beta_schedule", "cosine", "\"cosine\""),
        ("DDPMScheduler", "prediction_type", "x", "\"x\""),
        ("DDPMScheduler", "thresholding", true, "true"),
        ("DDPMScheduler", "timestep_spacing", "weird", "\"weird\""),
        ("DDPMScheduler", "variance_type", "learned_range", "\"learned_range\""),
        ("DDPMScheduler", "trained_betas", [0.1, 0.2], "[0.1,0.2]"),
        ("DDPMScheduler", "rescale_betas_zero_snr", true, "true"),
        ("DDPMScheduler", "num_train_timesteps", 1, "1"),
        ("DDPMScheduler", "beta_end", 1.5, "1.5"),
        ("DDPMScheduler", "steps_offset", -1, "-1"),
        ("DDPMScheduler", "clip_sample_range", 0, "0"),
        ("DDPMScheduler", "clip_sample", "yes", "\"yes\""),
        ("DDIMScheduler", "beta_schedule", "sigmoid", "\"sigmoid\""),
        ("DDIMScheduler", "prediction_type", "flow_prediction", "\"flow_prediction\""),
        ("DPMSolverMultistepScheduler", "use_karras_sigmas", true, "true"),
        ("DPMSolverMultistepScheduler", "use_flow_sigmas", true, "true"),
        ("DPMSolverMultistepScheduler", "algorithm_type", "sde-dpmsolver++", "\"sde-dpmsolver++\""),
        ("DPMSolverMultistepScheduler", "solver_order", 3, "3"),
        ("DPMSolverMultistepScheduler", "solver_type", "bh2", "\"bh2\""),
        ("DPMSolverMultistepScheduler", "final_sigmas_type", "one", "\"one\""),
        ("DPMSolverMultistepScheduler", "lambda_min_clipped", -5.1, "-5.1"),
        ("DPMSolverMultistepScheduler", "variance_type", "learned", "\"learned\""),
        ("EulerDiscreteScheduler", "_class_name", "EulerDiscreteScheduler", "\"EulerDiscreteScheduler\""),
    ] }

    @Test(arguments: rejected.indices)
    func rejectsWhatItCannotComputeNamingKeyAndValue(index: Int) {
        let (kind, key, value, shown) = Self.rejected[index]
        let error = #expect(throws: ModelError.self) {
            var dictionary: [String: Any] = ["_class_name": kind]
            dictionary[key] = value
            return try SchedulerConfig(dictionary: dictionary, source: "bad.json")
        }
        #expect(error?.path == "bad.json")
        #expect(error?.reason.hasPrefix("\"\(key)\" = \(shown): ") == true, "\(error?.reason ?? "accepted")")
    }

    @Test func rejectsAMissingClassName() {
        let error = #expect(throws: ModelError.self) {
            try SchedulerConfig(json: Data("{\"beta_start\": 0.001}".utf8), source: "nameless.json")
        }
        #expect(error?.reason.hasPrefix("\"_class_name\" = missing") == true)
    }

    @Test func convertsBetweenClassesAsFromConfigDoes() throws {
        var ddpm = SchedulerConfig(kind: .ddpm)
        ddpm.predictionType = .vPrediction
        ddpm.betaSchedule = .scaledLinear
        let dpm = try ddpm.converted(to: .dpmSolverMultistep)
        #expect(dpm.kind == .dpmSolverMultistep)
        #expect(dpm.predictionType == .vPrediction && dpm.betaSchedule == .scaledLinear)
        #expect(dpm.timestepSpacing == .leading)  // the key is in the DDPM file, so it carries over
        #expect(dpm.solverOrder == 2 && dpm.solverType == .midpoint)
        #expect(try dpm.converted(to: .ddpm) == ddpm)

        ddpm.betaSchedule = .sigmoid
        let error = #expect(throws: ModelError.self) { try ddpm.converted(to: .ddim) }
        #expect(error?.reason.hasPrefix("\"beta_schedule\" = \"sigmoid\"") == true)
    }
}

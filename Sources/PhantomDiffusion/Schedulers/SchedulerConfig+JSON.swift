import Foundation
import PhantomSafetensors

extension SchedulerConfig {
    /// Keys of the file format itself, never reported.
    static let bookkeepingKeys: Set<String> = ["_class_name", "_diffusers_version", "_name_or_path"]

    /// Keys every class has. `dynamic_thresholding_ratio` and `sample_max_value` only
    /// matter with `thresholding`, which Phantom rejects.
    static let commonKeys: Set<String> = [
        "num_train_timesteps", "beta_start", "beta_end", "beta_schedule", "trained_betas", "prediction_type",
        "thresholding", "dynamic_thresholding_ratio", "sample_max_value", "timestep_spacing", "steps_offset",
        "rescale_betas_zero_snr",
    ]

    /// DPM-Solver's switches to other sigma lists, all of which Phantom rejects.
    static let alternativeSigmaKeys = [
        "use_karras_sigmas", "use_exponential_sigmas", "use_beta_sigmas", "use_lu_lambdas", "use_flow_sigmas",
        "use_dynamic_shifting",
    ]

    /// The keys diffusers' class `kind` takes. `flow_shift` and `time_shift_type` only
    /// matter with flow sigmas or dynamic shifting, which Phantom rejects.
    static func knownKeys(_ kind: Kind) -> Set<String> {
        switch kind {
        case .ddpm: return commonKeys.union(["variance_type", "clip_sample", "clip_sample_range"])
        case .ddim: return commonKeys.union(["clip_sample", "clip_sample_range", "set_alpha_to_one"])
        case .dpmSolverMultistep:
            return commonKeys.union(alternativeSigmaKeys).union([
                "solver_order", "algorithm_type", "solver_type", "lower_order_final", "euler_at_final",
                "final_sigmas_type", "lambda_min_clipped", "variance_type", "flow_shift", "time_shift_type",
            ])
        }
    }

    /// Reads and validates a `scheduler_config.json`.
    public init(contentsOf url: URL) throws(ModelError) {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw ModelError(path: url.path, reason: "cannot read (\(fileErrorReason(error)))")
        }
        try self.init(json: data, source: url.path)
    }

    /// Parses and validates the JSON text of a `scheduler_config.json`, as diffusers
    /// writes it (bare `-Infinity` included).
    ///
    /// Fails, naming the key and its value, on a `_class_name` other than the three
    /// supported classes; on `trained_betas`, `thresholding`, `rescale_betas_zero_snr`,
    /// a finite `lambda_min_clipped`, learned variances, Karras or other alternative
    /// sigmas; on algorithm types other than `dpmsolver++` and solver orders above 2; on
    /// any name diffusers' class would not accept (`sigmoid` betas outside DDPM, for
    /// one); and on out-of-range numbers.
    public init(json data: Data, source: String) throws(ModelError) {
        try self.init(object: JSONObject(data: NonFiniteJSON.quotingBareWords(data), source: source))
    }

    /// Validates an already parsed configuration dictionary (`source` names it in errors).
    public init(dictionary: [String: Any], source: String) throws(ModelError) {
        try self.init(object: JSONObject(values: dictionary, source: source))
    }

    private init(object: JSONObject) throws(ModelError) {
        guard let name = object.values["_class_name"] as? String, let kind = Kind(rawValue: name) else {
            throw object.fail("_class_name", "Phantom reads " + Kind.allCases.map(\.rawValue).joined(separator: ", "))
        }
        self.init(kind: kind)
        try readCommonKeys(object)
        switch kind {
        case .ddpm:
            try readClipping(object)
            varianceType = try object.choice("variance_type", default: .fixedSmall)
        case .ddim:
            try readClipping(object)
            setAlphaToOne = try object.bool("set_alpha_to_one", default: true)
        case .dpmSolverMultistep:
            try readSolverKeys(object)
        }
        let known = Self.knownKeys(kind).union(Self.bookkeepingKeys)
        ignoredKeys = object.values.keys.filter { !known.contains($0) }.sorted()
    }

    private mutating func readCommonKeys(_ object: JSONObject) throws(ModelError) {
        numTrainTimesteps = try object.int("num_train_timesteps", default: 1000)
        guard (2...100_000).contains(numTrainTimesteps) else {
            throw object.fail("num_train_timesteps", "must be in 2...100000")
        }
        betaStart = try object.beta("beta_start", default: betaStart)
        betaEnd = try object.beta("beta_end", default: betaEnd)
        let schedules: [BetaSchedule] = kind == .ddpm ? BetaSchedule.allCases : [.linear, .scaledLinear, .squaredcosCapV2]
        betaSchedule = try object.choice("beta_schedule", among: schedules, default: .linear)
        guard object.isNull("trained_betas") else {
            throw object.fail("trained_betas", "Phantom supports only null (betas from beta_schedule)")
        }
        try object.requireFalse("thresholding", "dynamic thresholding is not supported")
        try object.requireFalse("rescale_betas_zero_snr", "zero-terminal-SNR rescaling is not supported")
        predictionType = try object.choice("prediction_type", default: .epsilon)
        timestepSpacing = try object.choice("timestep_spacing", default: timestepSpacing)
        stepsOffset = try object.int("steps_offset", default: 0)
        guard stepsOffset >= 0 && stepsOffset < numTrainTimesteps else {
            throw object.fail("steps_offset", "must be in 0..<num_train_timesteps (\(numTrainTimesteps))")
        }
    }

    private mutating func readClipping(_ object: JSONObject) throws(ModelError) {
        clipSample = try object.bool("clip_sample", default: true)
        clipSampleRange = try object.double("clip_sample_range", default: 1)
        guard clipSampleRange > 0 else { throw object.fail("clip_sample_range", "must be positive") }
    }

    private mutating func readSolverKeys(_ object: JSONObject) throws(ModelError) {
        _ = try object.require("algorithm_type", in: ["dpmsolver++"], default: "dpmsolver++")
        solverOrder = try object.int("solver_order", default: 2)
        guard (1...2).contains(solverOrder) else { throw object.fail("solver_order", "Phantom supports 1 and 2") }
        solverType = try object.choice("solver_type", default: .midpoint)
        lowerOrderFinal = try object.bool("lower_order_final", default: true)
        eulerAtFinal = try object.bool("euler_at_final", default: false)
        finalSigmasType = try object.choice("final_sigmas_type", default: .zero)
        for key in Self.alternativeSigmaKeys {
            try object.requireFalse(key, "Phantom uses the training schedule's sigmas")
        }
        if !object.isNull("lambda_min_clipped") && object.values["lambda_min_clipped"] as? String != "-Infinity" {
            throw object.fail("lambda_min_clipped", "Phantom supports only -Infinity (no clipping)")
        }
        // diffusers' DPM-Solver reads variance_type only to drop a learned variance's channels;
        // other values (a DDPM configuration's "fixed_small") change nothing.
        if let variance = try object.optionalString("variance_type"), variance.hasPrefix("learned") {
            throw object.fail("variance_type", "learned variances are not supported; Phantom supports null")
        }
    }

    /// The configuration as diffusers writes it for ``kind``: every key of the class with
    /// its value, `_class_name` and `_diffusers_version`.
    ///
    /// DPM-Solver's `lambda_min_clipped` is left out: its only supported value, −∞, is
    /// diffusers' default and has no spelling in standard JSON (Python writes a bare
    /// `-Infinity`, which most JSON readers reject).
    public func jsonObject(diffusersVersion: String = "0.42.1") -> [String: Any] {
        var object: [String: Any] = [
            "_class_name": kind.rawValue, "_diffusers_version": diffusersVersion,
            "num_train_timesteps": numTrainTimesteps, "beta_start": betaStart, "beta_end": betaEnd,
            "beta_schedule": betaSchedule.rawValue, "trained_betas": NSNull(),
            "prediction_type": predictionType.rawValue, "thresholding": false,
            "dynamic_thresholding_ratio": 0.995, "sample_max_value": 1.0,
            "timestep_spacing": timestepSpacing.rawValue, "steps_offset": stepsOffset,
            "rescale_betas_zero_snr": false,
        ]
        switch kind {
        case .ddpm:
            object["variance_type"] = varianceType.rawValue
            object["clip_sample"] = clipSample
            object["clip_sample_range"] = clipSampleRange
        case .ddim:
            object["clip_sample"] = clipSample
            object["clip_sample_range"] = clipSampleRange
            object["set_alpha_to_one"] = setAlphaToOne
        case .dpmSolverMultistep:
            for key in Self.alternativeSigmaKeys { object[key] = false }
            object["solver_order"] = solverOrder
            object["algorithm_type"] = "dpmsolver++"
            object["solver_type"] = solverType.rawValue
            object["lower_order_final"] = lowerOrderFinal
            object["euler_at_final"] = eulerAtFinal
            object["final_sigmas_type"] = finalSigmasType.rawValue
            object["variance_type"] = NSNull()
            object["flow_shift"] = 1.0
            object["time_shift_type"] = "exponential"
        }
        return object
    }

    /// The configuration as pretty-printed JSON with sorted keys, ready for `scheduler_config.json`.
    public func jsonData(diffusersVersion: String = "0.42.1") -> Data {
        (try? JSONSerialization.data(withJSONObject: jsonObject(diffusersVersion: diffusersVersion),
                                     options: [.prettyPrinted, .sortedKeys])) ?? Data()
    }

    /// This configuration read by another class, as diffusers' `Class.from_config(config)`
    /// does: shared keys keep their values, the other class's own keys take its defaults,
    /// and keys the other class does not take are dropped.
    /// Fails when the other class cannot take a value (for example `sigmoid` betas outside DDPM).
    public func converted(to other: Kind) throws(ModelError) -> SchedulerConfig {
        let known = Self.knownKeys(other)
        var object = jsonObject().filter { known.contains($0.key) }
        object["_class_name"] = other.rawValue
        return try SchedulerConfig(dictionary: object, source: "\(kind.rawValue) configuration")
    }
}

extension JSONObject {
    /// Reads `key` as one of `allowed`'s raw values (absent or null: `fallback`).
    func choice<Value: RawRepresentable & CaseIterable>(
        _ key: String, among allowed: [Value] = Array(Value.allCases), default fallback: Value
    ) throws(ModelError) -> Value where Value.RawValue == String {
        let name = try require(key, in: allowed.map(\.rawValue), default: fallback.rawValue)
        return allowed.first { $0.rawValue == name } ?? fallback
    }

    /// Reads a β bound, which must be in [0, 1).
    func beta(_ key: String, default fallback: Double) throws(ModelError) -> Double {
        let value = try double(key, default: fallback)
        guard value >= 0 && value < 1 else { throw fail(key, "must be in [0, 1)") }
        return value
    }

    /// Requires `key` to be absent, null or false.
    func requireFalse(_ key: String, _ reason: String) throws(ModelError) {
        if try bool(key, default: false) { throw fail(key, reason + "; Phantom supports false") }
    }
}

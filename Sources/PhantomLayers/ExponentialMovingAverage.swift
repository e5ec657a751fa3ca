import Foundation
import PhantomTensor

/// An exponential moving average of a model's parameters, with the semantics of
/// diffusers' `EMAModel` (`training_utils.py`).
///
/// Each ``step()`` (called after each optimizer step) increments ``stepCount`` to
/// `s`, takes `decay = configuration.decay(atStep: s)` and moves every shadow
/// element towards its parameter, in Float32 as torch does:
/// `shadow ← shadow − (1 − decay)·(shadow − parameter)`.
/// The state is the shadow tensors (``shadowTensors``) and ``stepCount``.
public final class ExponentialMovingAverage {
    /// How the decay grows with the optimization step.
    public struct Configuration: Sendable, Hashable {
        /// The largest decay (diffusers' `decay`, `--ema_max_decay`).
        public var maxDecay: Double
        /// The smallest decay once updates have started.
        public var minDecay: Double
        /// Steps during which the shadow simply follows the parameters (decay 0).
        public var updateAfterStep: Int
        /// Warm up as `1 − (1 + n/γ)^−power`; otherwise the decay is `(1 + n)/(10 + n)`.
        public var useWarmup: Bool
        /// γ of the warmup (`--ema_inv_gamma`).
        public var inverseGamma: Double
        /// The exponent of the warmup (`--ema_power`).
        public var power: Double

        /// The defaults of diffusers' `train_unconditional.py`: warmup with γ 1 and
        /// power 3/4, decay at most 0.9999.
        public init(maxDecay: Double = 0.9999, minDecay: Double = 0, updateAfterStep: Int = 0,
                    useWarmup: Bool = true, inverseGamma: Double = 1, power: Double = 0.75) {
            self.maxDecay = maxDecay
            self.minDecay = minDecay
            self.updateAfterStep = updateAfterStep
            self.useWarmup = useWarmup
            self.inverseGamma = inverseGamma
            self.power = power
        }

        /// The decay used at optimization step `optimizationStep` (1 for the first
        /// step): 0 until `updateAfterStep + 1`, then with `n = step − updateAfterStep − 1`
        /// the warmup (or `(1 + n)/(10 + n)`) clamped to `minDecay...maxDecay`.
        public func decay(atStep optimizationStep: Int) -> Double {
            let n = max(0, optimizationStep - updateAfterStep - 1)
            guard n > 0 else { return 0 }
            let step = Double(n)
            let value = useWarmup ? 1 - pow(1 + step / inverseGamma, -power) : (1 + step) / (10 + step)
            return max(min(value, maxDecay), minDecay)
        }
    }

    /// The decay schedule.
    public let configuration: Configuration
    /// The parameters averaged, with the names their shadows are saved under.
    public let parameters: [(name: String, parameter: Parameter)]
    /// The number of steps taken so far (diffusers' `optimization_step`).
    public var stepCount = 0
    /// The decay the last ``step()`` used (diffusers' `cur_decay_value`), for logging; 0 before any step.
    public private(set) var lastDecay: Double = 0

    private let shadows: [Tensor]
    private let chunks: [ElementChunk]

    /// An average of `parameters` whose shadows start as copies of their current values.
    /// - Precondition: names are unique.
    public init(parameters: [(name: String, parameter: Parameter)], configuration: Configuration = Configuration()) {
        precondition(Set(parameters.map(\.name)).count == parameters.count, "duplicate parameter names")
        self.parameters = parameters
        self.configuration = configuration
        shadows = parameters.map { named in
            let shadow = Tensor(zeros: named.parameter.shape)
            shadow.copy(from: named.parameter.value)
            return shadow
        }
        chunks = ElementChunk.split(parameters.map { $0.parameter.value.count })
    }

    /// An average of every parameter of `module`, under its state-dict name.
    public convenience init(module: some Module, configuration: Configuration = Configuration()) {
        self.init(parameters: module.namedParameters, configuration: configuration)
    }

    /// The shadow tensors themselves (not copies), under their parameters' names, in
    /// parameter order. Save them as the EMA model's weights; write into them (and set
    /// ``stepCount``) to restore the average.
    public var shadowTensors: [(name: String, tensor: Tensor)] {
        zip(parameters, shadows).map { ($0.name, $1) }
    }

    /// Moves every shadow towards its parameter's current value.
    public func step() {
        stepCount += 1
        lastDecay = configuration.decay(atStep: stepCount)
        let rate = Float(1 - lastDecay)
        Parallel.forEach(chunks.count) { index, _ in
            let chunk = chunks[index]
            let p = parameters[chunk.tensor].parameter.value.data
            let s = shadows[chunk.tensor].data
            for i in chunk.range { s[i] = s[i] - rate * (s[i] - p[i]) }
        }
    }

    /// Copies the shadows into the parameters of `module` that have the same names
    /// (for sampling or saving with the averaged weights).
    /// - Precondition: `module` has exactly these parameter names, with the same shapes.
    public func copy(into module: some Module) {
        let targets = Dictionary(uniqueKeysWithValues: module.namedParameters.map { ($0.name, $0.parameter) })
        precondition(targets.count == shadows.count, "the module has \(targets.count) parameters, the average \(shadows.count)")
        for (name, shadow) in shadowTensors {
            guard let target = targets[name] else { preconditionFailure("the module has no parameter \(name)") }
            precondition(target.shape == shadow.shape, "\(name): shape \(target.shape) vs \(shadow.shape)")
            target.value.copy(from: shadow)
        }
    }
}

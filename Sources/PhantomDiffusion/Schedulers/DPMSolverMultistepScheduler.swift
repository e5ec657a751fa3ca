import Foundation
import PhantomTensor

/// DPM-Solver++ (Lu et al. 2022) in its multistep form, first or second order ("2M"),
/// as diffusers' `DPMSolverMultistepScheduler` with `algorithm_type="dpmsolver++"`
/// computes it in Float32. Deterministic: it never needs noise.
///
/// The model output is turned into an x₀ estimate, and the solver extrapolates from the
/// last one or two estimates in log-SNR λ = log(α/σ). The first step is first order (no
/// history yet). The last step is first order when `euler_at_final` is set, or when
/// `lower_order_final` is set and there are fewer than 15 steps, or when the final σ is 0
/// — and then it returns exactly the x₀ estimate.
///
/// Like diffusers, the scheduler counts steps itself: the first ``step(modelOutput:timestep:sample:noise:into:)``
/// finds its timestep in the schedule (the second occurrence when the schedule repeats
/// it, the last step when absent), and every later call takes the next step whatever
/// timestep it is given.
public final class DPMSolverMultistepScheduler: SamplingScheduler {
    public let config: SchedulerConfig
    /// The training noise schedule (ᾱ).
    public let noiseSchedule: NoiseSchedule
    public private(set) var timesteps: [Int] = []
    /// σ_t = √((1 − ᾱ_t) / ᾱ_t) at each timestep of the schedule, then the final σ
    /// (0, or σ at timestep 0 with `final_sigmas_type` `sigma_min`): `timesteps.count + 1` values.
    public private(set) var sigmas: [Float] = []
    /// The order (1 or 2) of the update the last step ran.
    public private(set) var lastStepOrder: Int?

    /// The index in ``timesteps`` of the next step, once the first step has set it.
    private var stepIndex: Int?
    /// The x₀ estimates of the last two steps, newest last (buffers reused between steps).
    private var estimates: [Tensor] = []
    /// How many estimates are usable (diffusers' `lower_order_nums`), at most `solver_order`.
    private var usableEstimates = 0

    public var initNoiseSigma: Float { 1 }

    /// - Precondition: `config.kind == .dpmSolverMultistep` (see ``SchedulerConfig/converted(to:)``).
    public init(config: SchedulerConfig) {
        precondition(config.kind == .dpmSolverMultistep,
                     "DPMSolverMultistepScheduler needs a DPMSolverMultistepScheduler configuration, not \(config.kind.rawValue)")
        self.config = config
        noiseSchedule = config.noiseSchedule
    }

    @discardableResult
    public func setTimesteps(_ count: Int) throws(ModelError) -> [Int] {
        timesteps = try config.inferenceTimesteps(count) { count in
            config.timestepSpacing.solverTimesteps(count: count, trainSteps: config.numTrainTimesteps,
                                                   stepsOffset: config.stepsOffset)
        }
        let trainingSigmas = noiseSchedule.alphasCumprod.map { alpha in ((1 - alpha) / alpha).squareRoot() }
        let finalSigma: Float = config.finalSigmasType == .sigmaMin ? trainingSigmas[0] : 0
        sigmas = timesteps.map { trainingSigmas[$0] } + [finalSigma]
        reset()
        return timesteps
    }

    /// DPM-Solver++ is deterministic.
    public func needsNoise(at timestep: Int) -> Bool { false }

    public func reset() {
        stepIndex = nil
        usableEstimates = 0
        lastStepOrder = nil
    }

    public func step(modelOutput: Tensor, timestep: Int, sample: Tensor, noise: Tensor?, into prevSample: Tensor) {
        precondition(!timesteps.isEmpty, "call setTimesteps before step")
        checkStepTensors(modelOutput, sample, noise, prevSample, noiseNeeded: false)
        let index = stepIndex ?? firstStepIndex(for: timestep)
        precondition(index < timesteps.count, "all \(timesteps.count) steps were taken; call reset or setTimesteps")

        let isLast = index == timesteps.count - 1
        let firstOrderLast = isLast && (config.eulerAtFinal || (config.lowerOrderFinal && timesteps.count < 15)
            || config.finalSigmasType == .zero)
        storeEstimate(modelOutput: modelOutput, sample: sample, sigma: sigmas[index])
        if config.solverOrder == 1 || usableEstimates < 1 || firstOrderLast {
            firstOrderUpdate(index: index, sample: sample, into: prevSample)
            lastStepOrder = 1
        } else {
            secondOrderUpdate(index: index, sample: sample, into: prevSample)
            lastStepOrder = 2
        }
        usableEstimates = min(usableEstimates + 1, config.solverOrder)
        stepIndex = index + 1
    }

    /// diffusers' `index_for_timestep`: the second match if the timestep repeats, the last index if absent.
    private func firstStepIndex(for timestep: Int) -> Int {
        let matches = timesteps.indices.filter { timesteps[$0] == timestep }
        return matches.count > 1 ? matches[1] : matches.first ?? timesteps.count - 1
    }

    /// α_t and σ_t of the variance-preserving process for a σ of the variance-exploding one.
    private func alphaSigma(_ sigma: Float) -> (alpha: Float, sigma: Float) {
        let alpha = 1 / (sigma * sigma + 1).squareRoot()
        return (alpha, sigma * alpha)
    }

    /// λ = log α − log σ (+∞ at σ = 0).
    private func logSNR(_ pair: (alpha: Float, sigma: Float)) -> Float { log(pair.alpha) - log(pair.sigma) }

    /// Converts the model output to an x₀ estimate (diffusers' `convert_model_output`) and
    /// makes it the newest of ``estimates``.
    private func storeEstimate(modelOutput: Tensor, sample: Tensor, sigma: Float) {
        if estimates.count < 2 || estimates[0].shape != sample.shape {
            estimates = [Tensor(zeros: sample.shape), Tensor(zeros: sample.shape)]
            usableEstimates = 0
        }
        estimates.swapAt(0, 1)
        let newest = estimates[1].data
        let (alpha, sigmaT) = alphaSigma(sigma)
        switch config.predictionType {
        case .epsilon:
            for i in 0..<sample.count { newest[i] = (sample.data[i] - sigmaT * modelOutput.data[i]) / alpha }
        case .vPrediction:
            for i in 0..<sample.count { newest[i] = alpha * sample.data[i] - sigmaT * modelOutput.data[i] }
        case .sample:
            newest.update(from: modelOutput.data, count: sample.count)
        }
    }

    /// DPM-Solver++(1), which is DDIM in x₀ form (Lu et al. 2022, Sec. 4):
    /// x_t = (σ_t/σ_s)·x_s − α_t·(e^(−h) − 1)·x̂₀(s), with h = λ_t − λ_s.
    private func firstOrderUpdate(index: Int, sample: Tensor, into output: Tensor) {
        let target = alphaSigma(sigmas[index + 1]), source = alphaSigma(sigmas[index])
        let h = logSNR(target) - logSNR(source)
        let sampleCoefficient = target.sigma / source.sigma
        let estimateCoefficient = target.alpha * (exp(-h) - 1)
        let estimate = estimates[1].data
        for i in 0..<sample.count {
            output.data[i] = sampleCoefficient * sample.data[i] - estimateCoefficient * estimate[i]
        }
    }

    /// DPM-Solver++(2M) (Lu et al. 2022, Algorithm 2): with r = h_prev/h, D₀ = x̂₀(s) and
    /// D₁ = (x̂₀(s) − x̂₀(s_prev))/r,
    /// x_t = (σ_t/σ_s)·x_s − α_t·(e^(−h) − 1)·D₀ − ½·α_t·(e^(−h) − 1)·D₁ (`solver_type`
    /// "midpoint", diffusers' default), or `+ α_t·((e^(−h) − 1)/h + 1)·D₁` ("heun").
    private func secondOrderUpdate(index: Int, sample: Tensor, into output: Tensor) {
        let target = alphaSigma(sigmas[index + 1])
        let current = alphaSigma(sigmas[index]), previous = alphaSigma(sigmas[index - 1])
        let lambdaTarget = logSNR(target), lambdaCurrent = logSNR(current)
        let h = lambdaTarget - lambdaCurrent, hPrevious = lambdaCurrent - logSNR(previous)
        let differenceScale = 1 / (hPrevious / h)
        let sampleCoefficient = target.sigma / current.sigma
        let estimateCoefficient = target.alpha * (exp(-h) - 1)
        let differenceCoefficient: Float
        switch config.solverType {
        case .midpoint: differenceCoefficient = -(0.5 * estimateCoefficient)
        case .heun: differenceCoefficient = target.alpha * ((exp(-h) - 1) / h + 1)
        }
        let newest = estimates[1].data, older = estimates[0].data
        for i in 0..<sample.count {
            let difference = differenceScale * (newest[i] - older[i])
            output.data[i] = sampleCoefficient * sample.data[i] - estimateCoefficient * newest[i]
                + differenceCoefficient * difference
        }
    }
}

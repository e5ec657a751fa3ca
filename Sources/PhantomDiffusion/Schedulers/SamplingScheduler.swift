import PhantomTensor

/// A reverse-diffusion scheduler that a sampler drives, step by step, from pure noise
/// to an image: diffusers' `set_timesteps` / `step` interface.
///
/// The sampling loop:
///
///     let timesteps = try scheduler.setTimesteps(steps)   // also resets any history
///     // x = initial Gaussian noise × scheduler.initNoiseSigma
///     for t in timesteps {
///         let output = model(x, t)
///         let noise = scheduler.needsNoise(at: t) ? drawGaussian(like: x) : nil
///         scheduler.step(modelOutput: output, timestep: t, sample: x, noise: noise, into: x)
///     }
///
/// Tensors are batches `[B, C, H, W]` (any shape works: the arithmetic is element-wise).
/// The caller supplies the noise of stochastic steps, so it can draw it per image from a
/// ``RandomStream`` and results do not depend on how a batch is split.
public protocol SamplingScheduler: AnyObject {
    /// The configuration the scheduler follows.
    var config: SchedulerConfig { get }
    /// The timesteps of the current schedule, noisiest first.
    var timesteps: [Int] { get }
    /// The standard deviation of the initial noise the loop starts from.
    var initNoiseSigma: Float { get }

    /// Chooses `count` inference timesteps as diffusers does, clears the multistep
    /// history, and returns ``timesteps``.
    ///
    /// Fails when `count` is outside `1...num_train_timesteps`, or when diffusers' list
    /// would hold a timestep the model was not trained on, which diffusers accepts and then
    /// mis-steps: leading spacing with `steps_offset` 1 and `count` = T starts at T (an
    /// index error in diffusers), and trailing spacing for some counts (61, 103, 121, …
    /// of 1000) ends with −1 (numpy's float `arange` gives one element more; diffusers
    /// then reads ᾱ[−1], the last one). The error's file is `scheduler_config.json` and
    /// its reason names the step count and the keys involved.
    @discardableResult
    func setTimesteps(_ count: Int) throws(ModelError) -> [Int]

    /// Whether ``step(modelOutput:timestep:sample:noise:into:)`` at `timestep` uses
    /// Gaussian noise (so the caller draws it only then).
    func needsNoise(at timestep: Int) -> Bool

    /// One reverse step from `sample` at `timestep` to the sample at the previous
    /// timestep, written to `prevSample`.
    ///
    /// `modelOutput`, `sample`, `noise` and `prevSample` have the same shape; `prevSample`
    /// may be `sample` (update in place). `noise` must be given when
    /// ``needsNoise(at:)`` is true and is ignored otherwise.
    ///
    /// - Precondition: `timestep` is the next entry of ``timesteps`` (DDPM also takes any
    ///   training timestep before ``setTimesteps(_:)`` is called, stepping to t − 1).
    func step(modelOutput: Tensor, timestep: Int, sample: Tensor, noise: Tensor?, into prevSample: Tensor)

    /// Forgets the multistep history so the schedule can be run again from its start.
    func reset()
}

extension SamplingScheduler {
    /// ``step(modelOutput:timestep:sample:noise:into:)`` into a new tensor.
    public func step(modelOutput: Tensor, timestep: Int, sample: Tensor, noise: Tensor?) -> Tensor {
        let prevSample = Tensor(zeros: sample.shape)
        step(modelOutput: modelOutput, timestep: timestep, sample: sample, noise: noise, into: prevSample)
        return prevSample
    }
}

extension SchedulerConfig {
    /// The scheduler for ``kind``. `eta` is DDIM's share of fresh noise per step (0:
    /// deterministic DDIM, 1: DDPM-like); the other schedulers take no such parameter.
    public func makeScheduler(eta: Float = 0) -> any SamplingScheduler {
        switch kind {
        case .ddpm: return DDPMScheduler(config: self)
        case .ddim: return DDIMScheduler(config: self, eta: eta)
        case .dpmSolverMultistep: return DPMSolverMultistepScheduler(config: self)
        }
    }

    /// The timesteps `spacing` gives for `count` steps, after checking `count` and then
    /// that every timestep is one the model was trained on.
    func inferenceTimesteps(_ count: Int, spacing: (Int) -> [Int]) throws(ModelError) -> [Int] {
        guard (1...numTrainTimesteps).contains(count) else {
            throw ModelError(path: Self.fileName,
                              reason: "\(count) inference steps: must be in 1...\(numTrainTimesteps) (num_train_timesteps)")
        }
        let timesteps = spacing(count)
        if let outside = timesteps.first(where: { !(0..<numTrainTimesteps).contains($0) }) {
            throw ModelError(path: Self.fileName, reason: "\(count) inference steps with \"timestep_spacing\" = "
                + "\"\(timestepSpacing.rawValue)\" and \"steps_offset\" = \(stepsOffset) give timestep \(outside), "
                + "outside the trained 0..<\(numTrainTimesteps); choose another step count or spacing")
        }
        return timesteps
    }
}

/// Checks that the tensors of a step agree in size.
func checkStepTensors(_ modelOutput: Tensor, _ sample: Tensor, _ noise: Tensor?, _ prevSample: Tensor, noiseNeeded: Bool) {
    precondition(modelOutput.count == sample.count && prevSample.count == sample.count,
                 "step tensors differ: model output \(modelOutput.shape), sample \(sample.shape), result \(prevSample.shape)")
    if noiseNeeded {
        precondition(noise?.count == sample.count, "this step needs a noise tensor shaped like the sample \(sample.shape)")
    }
}

import PhantomTensor

/// Draws images from a trained ``UNet2D`` by running a scheduler from pure noise.
///
/// Image `i` of a request starts from the noise stream (seed, sampling, i, 0) and
/// step `k` draws from (seed, sampling, i, k + 1), so an image depends on its seed
/// and index only — never on the thread count or on the other images drawn with it.
/// With a ``Guidance`` scale other than 1, each step within the guidance's noise levels
/// also evaluates a weaker prediction and moves the model's output away from it: the same
/// model without the label (classifier-free guidance, for a class-conditional model), a
/// weaker model given as `guide` (autoguidance), or both.
public final class Sampler {
    public let unet: UNet2D
    public let scheduler: any SamplingScheduler
    /// The class index the model was trained to read as "no class", if any.
    public let nullClass: Int?
    /// A smaller or less-trained model of the same data to guide against (autoguidance,
    /// Karras et al. 2024, "Guiding a Diffusion Model with a Bad Version of Itself"):
    ///
    ///     out = out_model + (a − 1) · (out_model − out_guide)
    ///
    /// both evaluated with the image's label (`a` is ``Guidance/guideScale``). Where the two
    /// agree the image is typical; where the weak model errs, the strong one is pushed further
    /// the way it already differs, which sharpens images without narrowing them to a few
    /// layouts as classifier-free guidance does. nil: no autoguidance. Check a pair with
    /// ``AutoGuide/check(model:guide:guidePath:)``.
    public let guide: UNet2D?

    private var doubled: Tensor?
    private var guided: Tensor?
    private var stepNoise: Tensor?

    public init(unet: UNet2D, scheduler: any SamplingScheduler, nullClass: Int?, guide: UNet2D? = nil) {
        self.unet = unet
        self.scheduler = scheduler
        self.nullClass = nullClass
        self.guide = guide
    }

    /// Generates one image per entry of `indices` (the images' numbers, which key
    /// their noise), with `labels[b]` for image `b` when the model is class-conditional,
    /// in `steps` scheduler steps. Returns `[B, channels, size, size]` in [-1, 1].
    /// `progress` is called after each step with the number of steps done.
    public func sample(indices: [Int], labels: [Int]?, seed: UInt64, steps: Int, guidance: Guidance = .none,
                       progress: (Int) -> Void = { _ in }) throws(ModelError) -> Tensor {
        precondition(guidance.guideScale == 1 || guide != nil, "autoguidance needs a guide model")
        let config = unet.config
        let batch = indices.count, size = config.sampleSize
        let shape = [batch, config.inChannels, size, size]
        let perImage = config.inChannels * size * size
        let x = Tensor(zeros: shape)
        for (b, index) in indices.enumerated() {
            stream(seed: seed, index: index, step: 0).fillGaussian(x.data + b * perImage, count: perImage)
        }
        if scheduler.initNoiseSigma != 1 {
            for i in 0..<x.count { x.data[i] *= scheduler.initNoiseSigma }
        }
        let timesteps = try scheduler.setTimesteps(steps)
        let conditional = labels != nil && nullClass != nil
        let schedule = scheduler.config.noiseSchedule
        for (k, t) in timesteps.enumerated() {
            let here = guidance.inForce(at: t, schedule: schedule)
            let classFree = conditional && here.scale != 1
            let output = classFree || here.guideScale != 1
                ? guidedOutput(x, timestep: t, labels: labels, guidance: here, classFree: classFree)
                : unet.predict(x, timesteps: Array(repeating: Float(t), count: batch), classLabels: labels)
            var noise: Tensor?
            if scheduler.needsNoise(at: t) {
                let n = Tensor.reusing(stepNoise, shape: shape)
                stepNoise = n
                for (b, index) in indices.enumerated() {
                    stream(seed: seed, index: index, step: k + 1).fillGaussian(n.data + b * perImage, count: perImage)
                }
                noise = n
            }
            scheduler.step(modelOutput: output, timestep: t, sample: x, noise: noise, into: x)
            progress(k + 1)
        }
        for i in 0..<x.count { x.data[i] = min(1, max(-1, x.data[i])) }
        return x
    }

    private func stream(seed: UInt64, index: Int, step: Int) -> RandomStream {
        RandomStream(seed: seed, RandomPurpose.samplingNoise.rawValue,
                     UInt32(truncatingIfNeeded: index), UInt32(truncatingIfNeeded: step))
    }

    /// One guided model evaluation (``Guidance``): the model over the batch, doubled with the
    /// null class for classifier-free guidance (conditional images first), and the guide.
    private func guidedOutput(_ x: Tensor, timestep: Int, labels: [Int]?, guidance: Guidance, classFree: Bool) -> Tensor {
        let batch = x.shape[0], count = x.count
        let strong: Tensor
        if classFree {
            let input = Tensor.reusing(doubled, shape: [2 * batch] + Array(x.shape.dropFirst()))
            doubled = input
            input.data.update(from: x.data, count: count)
            (input.data + count).update(from: x.data, count: count)
            strong = unet.predict(input, timesteps: Array(repeating: Float(timestep), count: 2 * batch),
                                  classLabels: labels! + Array(repeating: nullClass!, count: batch))
        } else {
            strong = unet.predict(x, timesteps: Array(repeating: Float(timestep), count: batch), classLabels: labels)
        }
        let weak = guidance.guideScale == 1 ? nil
            : guide!.predict(x, timesteps: Array(repeating: Float(timestep), count: batch), classLabels: labels)
        let result = Tensor.reusing(guided, shape: x.shape)
        guided = result
        let (w, a) = (guidance.scale, guidance.guideScale - 1)
        for i in 0..<count {
            let conditional = strong.data[i]
            var value = conditional
            if classFree {
                let unconditional = strong.data[count + i]
                value = unconditional + w * (conditional - unconditional)
            }
            if let weak { value += a * (conditional - weak.data[i]) }
            result.data[i] = value
        }
        return result
    }
}

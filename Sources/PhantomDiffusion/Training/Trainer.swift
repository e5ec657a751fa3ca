import PhantomLayers
import PhantomPrivacy
import PhantomTensor

/// One training step's outcome.
public struct StepReport: Sendable {
    /// The step just completed (1-based: the number of updates so far).
    public let step: Int
    public let loss: Double
    public let learningRate: Double
    /// The global gradient norm before clipping.
    public let gradientNorm: Double
    /// Whether the update was skipped because the loss or gradient was not finite.
    public let skipped: Bool
    /// The Poisson batch of a DP-SGD step (nil for a normal step).
    public var privateBatch: PrivateBatchReport? = nil
}

/// What a DP-SGD step saw of its Poisson batch.
public struct PrivateBatchReport: Sendable {
    /// The images sampled this step (the expected number is q·N).
    public let images: Int
    /// Each sampled image's gradient norm before clipping, in image order.
    public let gradientNorms: [Double]
    /// The fraction of sampled images whose gradient was clipped (norm above C).
    public let clippedFraction: Double
}

/// Trains a ``UNet2D`` to denoise: each step draws images, timesteps and noise,
/// regresses the model output on the target of the noise schedule (MSE, optionally
/// min-SNR-γ weighted per image), and
/// updates the weights with AdamW, then the EMA.
///
/// Every random draw is keyed by (seed, purpose, step, position in the batch) and
/// the data order by (seed, epoch), so the state of a run is its weights, optimizer
/// moments, EMA and step number: a run restored from a checkpoint continues exactly
/// as an uninterrupted one would. With ``TrainingOptions/privacy`` each step is a
/// DP-SGD step instead (see ``privateStep(_:)``).
///
/// Data parallel: with a ``ProcessGroup`` of N processes, each process runs its share of
/// every step's batch (the same images, keys and draws as one process would) and the
/// gradients are summed over the processes before the update, which every process then
/// makes identically (see `Trainer+DataParallel.swift`).
public final class Trainer {
    public let unet: UNet2D
    public let schedule: NoiseSchedule
    public let options: TrainingOptions
    public let optimizer: AdamW
    public let ema: ExponentialMovingAverage
    /// The class index trained as "no class" (label dropout), or nil for an unconditional model.
    public let nullClass: Int?
    /// γ of min-SNR-γ loss weighting, or nil for equal weights (``TrainingOptions/snrGamma`` nil or 0).
    let snrGamma: Double?
    /// Updates made so far.
    public internal(set) var step = 0
    /// Non-finite steps skipped so far.
    public internal(set) var skippedSteps = 0
    /// The processes that share each step (a ``SingleProcess`` unless data-parallel).
    public let group: ProcessGroup

    let images: TrainingImages
    var order: DataOrder
    /// A step's batch: `batchSize` images, or a DP-SGD pass's images' `noiseDraws` copies each.
    var batch: TrainingBatch
    /// Batches of the other sizes DP-SGD passes have used (at most images per pass × K of them).
    var batches: [Int: TrainingBatch] = [:]
    let parameters: [Parameter]
    /// The clipped per-image gradient sum of DP-SGD steps.
    lazy var clippedSum = ClippedGradientSum(parameters: parameters)
    /// Sums the parameters' gradients over the processes of a data-parallel step.
    lazy var gradientReduction = TensorAllReduce(parameters.map(\.gradient))

    /// A trainer for `unet` on `images`. A class-conditional model needs
    /// `num_class_embeds` = classes + 1: the last index is the null class.
    ///
    /// - Parameters:
    ///   - unet: the model to train; its weights are the starting point.
    ///   - images: the training images and labels.
    ///   - schedule: the forward process's ᾱ and prediction target.
    ///   - options: the recipe (batch, learning rate, EMA, DP-SGD, …).
    ///   - group: the processes of a data-parallel job; every process must build its trainer
    ///     from the same weights and options.
    public init(unet: UNet2D, images: TrainingImages, schedule: NoiseSchedule, options: TrainingOptions,
                group: ProcessGroup = SingleProcess()) throws(TrainingError) {
        let config = unet.config
        guard images.count > 0 else { throw .invalid("the training set is empty") }
        guard images.resolution % config.downsamplingFactor == 0 else {
            throw .invalid("resolution \(images.resolution) is not a multiple of the U-Net's downsampling factor \(config.downsamplingFactor)")
        }
        guard config.inChannels == 1, config.outChannels == 1 else {
            throw .invalid("Phantom trains 1-channel models; the configuration has \(config.inChannels) in, \(config.outChannels) out")
        }
        if images.classCount >= 2 {
            guard let embeds = config.numClassEmbeds else {
                throw .invalid("the data has \(images.classCount) classes but the model is unconditional (num_class_embeds is null)")
            }
            guard embeds >= images.classCount + 1 else {
                throw .invalid("the data has \(images.classCount) classes but the model has \(embeds) class embeddings (needs \(images.classCount + 1): one per class plus the null class)")
            }
            nullClass = embeds - 1
        } else {
            nullClass = config.numClassEmbeds.map { $0 - 1 }
        }
        guard options.batchSize >= 1, options.steps >= 1 else { throw .invalid("batch size and steps must be positive") }
        guard options.learningRate > 0 else { throw .invalid("the learning rate must be positive, got \(options.learningRate)") }
        guard (0...1).contains(options.labelDropout) else {
            throw .invalid("label dropout must be in [0, 1], got \(options.labelDropout)")
        }
        guard (options.snrGamma ?? 0) >= 0 else { throw .invalid("min-SNR γ must be 0 (off) or positive, got \(options.snrGamma ?? 0)") }
        guard (0...1).contains(options.classBalance ?? 0) else {
            throw .invalid("class balance must be in [0, 1], got \(options.classBalance ?? 0)")
        }
        guard options.privacy != nil || options.batchSize >= group.size else {
            throw .invalid("batch size \(options.batchSize) is smaller than the \(group.size) processes that share it")
        }
        if let privacy = options.privacy {
            guard privacy.sampleRate > 0, privacy.sampleRate <= 1, privacy.noiseMultiplier >= 0, privacy.maxGradNorm > 0,
                  privacy.noiseDraws >= 1 else {
                throw .invalid("DP-SGD needs 0 < q ≤ 1, σ ≥ 0, C > 0 and at least one noise draw")
            }
        }
        self.unet = unet
        self.images = images
        self.schedule = schedule
        self.options = options
        self.group = group
        optimizer = AdamW(module: unet, learningRate: options.learningRate, beta1: options.adamBeta1,
                          beta2: options.adamBeta2, epsilon: options.adamEpsilon, weightDecay: options.weightDecay)
        ema = ExponentialMovingAverage(module: unet, configuration: .init(
            maxDecay: options.emaMaxDecay, inverseGamma: options.emaInverseGamma, power: options.emaPower))
        snrGamma = options.snrGamma.flatMap { $0 > 0 ? $0 : nil }
        let balance = options.classBalance ?? 0
        if balance > 0 {
            guard images.classCount >= 2 else {
                throw .invalid("class balance needs images in class folders; this data has \(images.classCount) class")
            }
            guard options.privacy == nil else {
                throw .invalid("class balance does not go with DP-SGD: the privacy accounting needs every image sampled with the same probability")
            }
            order = DataOrder(labels: (0..<images.count).map { images.label(at: $0) ?? 0 }, balance: balance, seed: options.seed)
        } else {
            order = DataOrder(count: images.count, seed: options.seed)
        }
        batch = TrainingBatch(batchSize: max(1, group.share(of: options.batchSize).count), resolution: images.resolution)
        parameters = unet.namedParameters.map(\.parameter)
    }

    /// Makes one update (or skips it, within the `skipNonFinite` allowance, when the
    /// loss or gradient is not finite).
    public func trainStep() throws(TrainingError) -> StepReport {
        if let privacy = options.privacy { return try privateStep(privacy) }
        // This process's slots of the global batch; a slot's draws are keyed by its global index.
        let slots = group.share(of: options.batchSize)
        for (j, slot) in slots.enumerated() {
            let position = step * options.batchSize + slot
            fillSlot(j, image: order.image(at: position), key: slot, position: position)
        }
        let loss = sumOverProcesses(loss: lossAndGradient(batchShare: Double(slots.count) / Double(options.batchSize)))
        let norm = gradientNorm(parameters)
        let learningRate = options.learningRate(afterSteps: step)
        guard loss.isFinite, norm.isFinite else {
            return try skipNonFiniteStep(loss: loss, gradientNorm: norm, learningRate: learningRate)
        }
        if let limit = options.gradientClip { clipGradients(parameters, maxNorm: limit) }
        update(learningRate: learningRate)
        return StepReport(step: step, loss: loss, learningRate: learningRate, gradientNorm: norm, skipped: false)
    }

    /// Runs the batch through the U-Net and back: the parameters' gradients become those of
    /// the batch's mean loss (min-SNR-γ weighted per image if set), which is returned — both
    /// scaled by `batchShare`, the fraction of a data-parallel step's batch held here, so that
    /// their sum over the processes is the whole batch's mean. With `meanOverImages` m the
    /// mean is over m images' elements instead of the batch's (DP-SGD: an example's K draws),
    /// so the loss is the sum of the examples' means.
    func lossAndGradient(batchShare: Double = 1, meanOverImages: Int? = nil) -> Double {
        schedule.addNoise(original: batch.clean, noise: batch.noise, timesteps: batch.timesteps, into: batch.noisy)
        schedule.target(original: batch.clean, noise: batch.noise, timesteps: batch.timesteps, into: batch.target)
        // The cached list: zeroGradients() would rebuild every parameter's name each step.
        for parameter in parameters { parameter.gradient.zero() }
        if let gamma = snrGamma {
            for j in 0..<batch.size { batch.lossWeights[j] = Double(schedule.minSNRWeight(at: batch.timesteps[j], gamma: Float(gamma))) }
        }
        // DP-SGD's per-example gradient rows are indexed by image within one pass: a private
        // step makes one pass; otherwise the U-Net's groups bound the memory.
        let divisor = (meanOverImages ?? batch.size) * batch.pixels
        var loss = 0.0
        let dropout = unet.config.dropout > 0
        let (seed, step, positions) = (options.seed, step, batch.positions)
        unet.trainingPass(batch.noisy, timesteps: batch.timesteps.map(Float.init),
                          classLabels: nullClass == nil ? nil : batch.labels,
                          dropoutKey: dropout ? { DropoutKey(seed: seed, step: step, imageIndices: Array(positions[$0])) } : nil,
                          imagesPerPass: options.privacy == nil ? nil : batch.size) { group, output in
            let gradient = batch.outputGradient.items(group)
            loss += MeanSquaredError.lossAndGradient(prediction: output, target: batch.target.items(group),
                                                     imageWeights: snrGamma == nil ? nil : Array(batch.lossWeights[group]),
                                                     gradient: gradient, divisor: divisor)
            if batchShare != 1 {
                let scale = Float(batchShare)
                for i in 0..<gradient.count { gradient.data[i] *= scale }
            }
            return gradient
        }
        return loss * batchShare
    }

    /// Counts a step whose loss or gradient is not finite as skipped, or throws once more
    /// than `skipNonFinite` steps have been skipped.
    func skipNonFiniteStep(loss: Double, gradientNorm: Double, learningRate: Double,
                           privateBatch: PrivateBatchReport? = nil) throws(TrainingError) -> StepReport {
        skippedSteps += 1
        if skippedSteps > options.skipNonFinite {
            throw .nonFinite(step: step + 1, loss: loss, gradientNorm: gradientNorm)
        }
        step += 1
        return StepReport(step: step, loss: loss, learningRate: learningRate, gradientNorm: gradientNorm, skipped: true,
                          privateBatch: privateBatch)
    }

    /// Applies the gradients in the parameters with AdamW at `learningRate`, updates the EMA
    /// and counts the step.
    func update(learningRate: Double) {
        Profiler.measure(.optimizer) {
            optimizer.learningRate = learningRate
            optimizer.step()
            ema.step()
        }
        step += 1
    }

    /// Makes ``batch`` hold `size` positions (DP-SGD passes vary with the Poisson batch), reusing
    /// the buffers of a size seen before rather than allocating each step.
    func useBatch(size: Int) {
        guard batch.size != size else { return }
        batches[batch.size] = batch
        batch = batches[size] ?? TrainingBatch(batchSize: size, resolution: images.resolution)
    }

    /// Fills slot `j` of the batch with image `image` of the data: its pixels (flipped at
    /// random if asked), its label (or the null class, by label dropout), a timestep and
    /// noise. The draws are keyed by (seed, purpose, step, `key`); `position` keys dropout masks.
    func fillSlot(_ j: Int, image: Int, key: Int, position: Int) {
        let pixels = batch.pixels, side = images.resolution
        let stepWord = UInt32(truncatingIfNeeded: step), keyWord = UInt32(truncatingIfNeeded: key)
        batch.positions[j] = position
        let destination = batch.clean.data + j * pixels
        images.writeImage(image, into: destination)
        func draw(_ purpose: RandomPurpose) -> Float {
            RandomStream(seed: options.seed, purpose.rawValue, stepWord, keyWord).uniform(0)
        }
        if options.horizontalFlip && draw(.horizontalFlip) <= 0.5 {
            for row in 0..<side {
                let line = destination + row * side
                for column in 0..<(side / 2) { swap(&line[column], &line[side - 1 - column]) }
            }
        }
        if let nullClass {
            let label = images.label(at: image) ?? nullClass
            batch.labels[j] = Double(draw(.labelDropout)) <= options.labelDropout ? nullClass : label
        }
        let trainTimesteps = schedule.trainTimesteps
        batch.timesteps[j] = min(trainTimesteps - 1, Int(draw(.trainingTimestep) * Float(trainTimesteps)))
        RandomStream(seed: options.seed, RandomPurpose.trainingNoise.rawValue, stepWord, keyWord)
            .fillGaussian(batch.noise.data + j * pixels, count: pixels)
    }
}

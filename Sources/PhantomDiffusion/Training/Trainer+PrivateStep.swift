import PhantomLayers
import PhantomPrivacy
import PhantomTensor

extension Trainer {
    /// The images of step `step`'s Poisson batch, in index order: image i is in it when the
    /// uniform draw keyed by (seed, privateSampling, step, i) is below q. Each image's
    /// membership is independent of every other's, as the accountant assumes.
    public func poissonBatch(step: Int, sampleRate: Double) -> [Int] {
        let stepWord = UInt32(truncatingIfNeeded: step)
        return (0..<images.count).filter { image in
            let u = RandomStream(seed: options.seed, RandomPurpose.privateSampling.rawValue, stepWord,
                                 UInt32(truncatingIfNeeded: image)).uniform(0)
            return Double(u) < sampleRate
        }
    }

    /// One DP-SGD step (``DPSGDOptions``):
    ///
    /// 1. Poisson-sample the batch (``poissonBatch(step:sampleRate:)``);
    /// 2. for the n-th sampled image (each process its share of them when data-parallel), run its K = `noiseDraws` copies — draws keyed
    ///    (step, n·K + k) — through the U-Net and back: the gradient of its mean loss over the
    ///    K draws, computed from that image alone;
    /// 3. clip that gradient to norm C and add it to the sum (``ClippedGradientSum``), summed
    ///    over the processes;
    /// 4. add N(0, σ²C²) noise keyed by (step, parameter) and divide by q·N;
    /// 5. AdamW and EMA as in a normal step (the global ``TrainingOptions/gradientClip`` does not
    ///    apply: per-image clipping replaces it).
    ///
    /// An image with a non-finite gradient makes the step non-finite, handled like a normal
    /// step's (skipped within `skipNonFinite`); the step still counts for the accountant.
    func privateStep(_ privacy: DPSGDOptions) throws(TrainingError) -> StepReport {
        let draws = privacy.noiseDraws
        let selected = poissonBatch(step: step, sampleRate: privacy.sampleRate)
        clippedSum.reset()
        // Data parallel: each process takes a contiguous share of the sampled images; the
        // clipped sums, losses and norms are then summed over the processes.
        var losses = [Double](repeating: 0, count: selected.count), norms = losses
        for n in group.share(of: selected.count) {
            for k in 0..<draws {
                fillSlot(k, image: selected[n], key: n * draws + k, position: n * draws + k)
            }
            losses[n] = lossAndGradient()
            norms[n] = clippedSum.add(maxNorm: privacy.maxGradNorm)
        }
        if group.size > 1 {
            clippedSum.sum(over: group)
            let summed = group.allReduceSum(losses + norms)
            losses = Array(summed[..<selected.count])
            norms = Array(summed[selected.count...])
        }
        let clipped = norms.filter { $0 > privacy.maxGradNorm }.count
        let loss = selected.isEmpty ? 0 : losses.reduce(0, +) / Double(selected.count)
        let meanNorm = norms.isEmpty ? 0 : norms.reduce(0, +) / Double(norms.count)
        let report = PrivateBatchReport(images: selected.count, gradientNorms: norms,
                                        clippedFraction: selected.isEmpty ? 0 : Double(clipped) / Double(selected.count))
        let learningRate = options.learningRate(afterSteps: step)
        guard loss.isFinite, meanNorm.isFinite else {
            return try skipNonFiniteStep(loss: loss, gradientNorm: meanNorm, learningRate: learningRate, privateBatch: report)
        }
        let stepWord = UInt32(truncatingIfNeeded: step), seed = options.seed
        clippedSum.writeNoisyMean(noiseStandardDeviation: privacy.noiseMultiplier * privacy.maxGradNorm,
                                  divisor: privacy.sampleRate * Double(images.count)) { index, buffer, count in
            RandomStream(seed: seed, RandomPurpose.privateNoise.rawValue, stepWord, UInt32(index))
                .fillGaussian(buffer, count: count)
        }
        update(learningRate: learningRate)
        return StepReport(step: step, loss: loss, learningRate: learningRate, gradientNorm: meanNorm, skipped: false,
                          privateBatch: report)
    }
}

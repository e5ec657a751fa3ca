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

    /// The images one DP-SGD pass runs together: the batch size's worth of positions (each image
    /// takes K), at most 16 images, so the per-image gradient rows stay within 16 copies of the
    /// weights. Results do not depend on it: each image's gradient is computed from that image alone.
    var privateImagesPerPass: Int {
        min(16, max(1, options.batchSize / (options.privacy?.noiseDraws ?? 1)))
    }

    /// One DP-SGD step (``DPSGDOptions``):
    ///
    /// 1. Poisson-sample the batch (``poissonBatch(step:sampleRate:)``);
    /// 2. run the sampled images (each process its share of them when data-parallel) through
    ///    the U-Net and back, ``privateImagesPerPass`` at a time, the n-th image as K =
    ///    `noiseDraws` consecutive positions with draws keyed (step, n·K + k); the backward
    ///    pass keeps each image's gradient apart (``ExampleGradients``): the gradient of its
    ///    mean loss over its K draws, computed from that image alone;
    /// 3. clip each image's gradient to norm C and add it to the sum (``ClippedGradientSum``),
    ///    summed over the processes;
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
        var lossSum = 0.0, norms = [Double](repeating: 0, count: selected.count)
        let share = group.share(of: selected.count)
        for first in stride(from: share.lowerBound, to: share.upperBound, by: privateImagesPerPass) {
            let pass = first..<min(share.upperBound, first + privateImagesPerPass)
            useBatch(size: pass.count * draws)
            for (i, n) in pass.enumerated() {
                for k in 0..<draws {
                    fillSlot(i * draws + k, image: selected[n], key: n * draws + k, position: n * draws + k)
                }
            }
            clippedSum.beginExamples(pass.count, positionsPerExample: draws)
            // Each image's gradient is that of its mean loss over its K draws; the loss is the sum
            // of those means.
            lossSum += lossAndGradient(meanOverImages: draws)
            norms.replaceSubrange(pass, with: clippedSum.addExamples(maxNorm: privacy.maxGradNorm))
        }
        if group.size > 1 {
            clippedSum.sum(over: group)
            let summed = group.allReduceSum([lossSum] + norms)
            lossSum = summed[0]
            norms = Array(summed[1...])
        }
        let clipped = norms.filter { $0 > privacy.maxGradNorm }.count
        let loss = selected.isEmpty ? 0 : lossSum / Double(selected.count)
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

import PhantomLayers
import PhantomTensor

extension FeatureNetwork {
    /// Trains a new network on `images` with `recipe` for `steps` optimizer steps (default:
    /// the recipe's epochs), reporting `(step, steps, loss)` after every step.
    ///
    /// Deterministic for a recipe: the initial weights, the batch order and every sum
    /// depend on the seed only, not on the thread count.
    ///
    /// - Precondition: `images` is not empty and every label is in `0..<classNames.count`.
    public static func train(on images: LabeledImages, classNames: [String], recipe: ClassifierRecipe,
                             steps: Int? = nil, progress: (Int, Int, Double) -> Void = { _, _, _ in }) -> FeatureNetwork {
        precondition(images.count > 0 && images.labels.allSatisfy { (0..<classNames.count).contains($0) },
                     "training images and labels")
        let network = FeatureNetwork(side: images.side, classNames: classNames, seed: recipe.seed)
        let total = steps ?? recipe.steps(forImages: images.count)
        let parameters = network.namedParameters.map(\.parameter)
        let optimizer = AdamW(module: network, learningRate: recipe.learningRate, beta1: 0.9, beta2: 0.999,
                              epsilon: 1e-8, weightDecay: recipe.weightDecay)
        let batchSize = min(recipe.batchSize, images.count)
        let batch = Tensor(zeros: [batchSize, 1, images.side, images.side])
        let logitGradient = Tensor(zeros: [batchSize, classNames.count])
        var labels = [Int](repeating: 0, count: batchSize)
        var epochOrder: (epoch: Int, order: [Int]) = (-1, [])
        for step in 0..<total {
            for slot in 0..<batchSize {
                let position = step * batchSize + slot
                let epoch = position / images.count
                if epoch != epochOrder.epoch {
                    epochOrder = (epoch, SeededShuffle.permutation(images.count, seed: recipe.seed,
                                                                   purpose: dataOrderPurpose, round: UInt32(truncatingIfNeeded: epoch)))
                }
                let index = epochOrder.order[position % images.count]
                let stream = RandomStream(seed: recipe.seed, shiftPurpose, UInt32(truncatingIfNeeded: step), UInt32(slot))
                let span = Float(2 * recipe.maxShift + 1)
                let dx = min(2 * recipe.maxShift, Int(stream.uniform(0) * span)) - recipe.maxShift
                let dy = min(2 * recipe.maxShift, Int(stream.uniform(1) * span)) - recipe.maxShift
                images.image(index).withUnsafeBufferPointer { source in
                    shifted(source.baseAddress!, side: images.side, dx: dx, dy: dy, into: batch.data + slot * images.pixelsPerImage)
                }
                labels[slot] = images.labels[index]
            }
            for parameter in parameters { parameter.gradient.zero() }
            let (_, logits) = network.forward(batch)
            let loss = SoftmaxCrossEntropy.lossAndGradient(logits: logits, labels: labels, gradient: logitGradient)
            network.backward(logitGradient)
            clipGradients(parameters, maxNorm: 1)
            optimizer.learningRate = recipe.learningRate(step: step, of: total)
            optimizer.step()
            progress(step + 1, total, loss)
        }
        return network
    }

    /// Writes `source` moved by (dx, dy) pixels into `target`, repeating the edge pixels
    /// into the uncovered border.
    static func shifted(_ source: UnsafePointer<Float>, side: Int, dx: Int, dy: Int, into target: UnsafeMutablePointer<Float>) {
        for y in 0..<side {
            let sourceRow = source + min(side - 1, max(0, y - dy)) * side
            for x in 0..<side { target[y * side + x] = sourceRow[min(side - 1, max(0, x - dx))] }
        }
    }

    /// The second key word of the classifier's augmentation streams ("SHFT").
    static let shiftPurpose: UInt32 = 0x5348_4654

    /// The second key word of the classifier's data-order streams ("ORDR").
    static let dataOrderPurpose: UInt32 = 0x4F52_4452

    /// Features and predicted classes of `images`, in batches of `batchSize` (the result
    /// does not depend on it).
    public func embed(_ images: LabeledImages, batchSize: Int = 64) -> (features: [Double], predictions: [Int], probabilities: [[Double]]) {
        precondition(images.side == side, "images of side \(images.side) for a network of side \(side)")
        var features: [Double] = [], predictions: [Int] = [], probabilities: [[Double]] = []
        features.reserveCapacity(images.count * featureDimension)
        var start = 0
        while start < images.count {
            let count = min(batchSize, images.count - start)
            let batch = Tensor(zeros: [count, 1, side, side])
            images.pixels.withUnsafeBufferPointer {
                batch.data.update(from: $0.baseAddress! + start * images.pixelsPerImage, count: count * images.pixelsPerImage)
            }
            let (batchFeatures, logits) = forward(batch)
            features += batchFeatures.values.map(Double.init)
            for row in 0..<count {
                let p = SoftmaxCrossEntropy.softmax(logits.data + row * classNames.count, classes: classNames.count)
                probabilities.append(p)
                predictions.append(p.indices.max { p[$0] < p[$1] }!)
            }
            start += count
        }
        return (features, predictions, probabilities)
    }
}

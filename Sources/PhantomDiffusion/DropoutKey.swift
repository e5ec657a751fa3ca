import PhantomTensor

/// What makes a training forward pass's dropout masks: the run's seed, the step,
/// and the global index of every image in the batch. Masks are then the same for
/// any thread count or batch split.
public struct DropoutKey: Sendable {
    public let seed: UInt64
    public let step: Int
    public let imageIndices: [Int]

    public init(seed: UInt64, step: Int, imageIndices: [Int]) {
        self.seed = seed
        self.step = step
        self.imageIndices = imageIndices
    }

    /// One stream per image for the dropout layer numbered `layer`.
    func streams(layer: Int) -> [RandomStream] {
        imageIndices.map {
            RandomStream(seed: seed, RandomPurpose.dropout.rawValue &+ UInt32(layer),
                         UInt32(truncatingIfNeeded: step), UInt32(truncatingIfNeeded: $0))
        }
    }
}

/// The first selector word of each kind of random stream Phantom draws, so no two
/// uses share numbers.
public enum RandomPurpose: UInt32, Sendable {
    case trainingNoise = 1
    case trainingTimestep = 2
    case labelDropout = 3
    case samplingNoise = 4
    case dataOrder = 5
    case initialization = 6
    case horizontalFlip = 7
    /// DP-SGD's Poisson sampling: keyed by (step, image index).
    case privateSampling = 8
    /// DP-SGD's Gaussian noise on the gradient sum: keyed by (step, parameter index).
    case privateNoise = 9
    /// Dropout layers use `dropout + layer index`.
    case dropout = 0x1000
}

import PhantomImaging

/// What `phantom evaluate` is asked to measure.
public struct EvaluationRequest: Sendable {
    /// The real test images, `DIR/<class>/…`: what samples are compared with.
    public var real: String
    /// The synthetic images, `DIR/<class>/…` with the classes of the training set.
    public var samples: String
    /// The real training images: they train the feature network, give the real reference
    /// at the same n, and are what the memorization audit compares samples with.
    public var train: String?
    /// A feature network file: read when it exists, otherwise trained and written there.
    public var network: String?
    /// Where networks trained without `network` are cached by ``FeatureNetworkFile/cacheKey(images:classNames:recipe:)``; nil: no cache.
    public var cacheDirectory: String?
    /// Image side; default: the network file's, else the most common side in `samples`.
    public var side: Int?
    /// How DICOM and NIfTI files of the real and training folders are read.
    public var reading = ImageReadOptions()
    public var recipe = ClassifierRecipe()
    /// Seed of the reference subsets and of the diversity pairs.
    public var seed: UInt64 = 0
    /// k of precision, recall, density and coverage.
    public var neighbours = 3
    /// Most image pairs per class and set in the diversity (MS-SSIM) means.
    public var diversityPairs = 1000
    /// Whether to run the memorization audit against `train`.
    public var memorization = true
    /// The train-on-synthetic test, or nil to skip it.
    public var utility: UtilityRequest?

    public init(real: String, samples: String) {
        self.real = real
        self.samples = samples
    }
}

/// The train-on-synthetic, test-on-real experiment's settings.
public struct UtilityRequest: Sendable {
    /// Real training images kept per class (the low-data regime augmentation is for); nil: all.
    public var limitRealPerClass: Int?
    /// Seeds per arm (mean ± standard deviation).
    public var seeds = 3

    public init(limitRealPerClass: Int? = nil, seeds: Int = 3) {
        self.limitRealPerClass = limitRealPerClass
        self.seeds = seeds
    }
}

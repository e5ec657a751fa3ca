/// Train on synthetic, test on real: the feature network's recipe trained, with the same
/// number of steps, on (a) real training images, (b) synthetic images only and (c) both,
/// each over several seeds, and tested on the real test images.
public struct UtilityReport: Codable, Sendable {
    public struct Arm: Codable, Sendable {
        /// "real", "synthetic" or "real+synthetic".
        public var name: String
        public var images: Int
        /// Test accuracy for each seed.
        public var accuracies: [Double]
        public var mean: Double
        public var standardDeviation: Double
        /// Mean over seeds of each class's test accuracy.
        public var perClass: [String: Double]
    }

    /// Real training images kept per class (nil: all).
    public var limitRealPerClass: Int?
    public var steps: Int
    public var seeds: Int
    public var arms: [Arm]
}

import PhantomPrivacy

/// The policy of `phantom sample --exclude-memorized`: audit the drawn images against the
/// training images, re-draw the flagged ones with the seeds `seed + 1`, `seed + 2`, … (the
/// same noise indices), and leave out those still flagged after `maxRedraws` re-draws.
///
/// Each image is audited on its own (its nearest training neighbours do not depend on the
/// other samples), so a sharded or multi-process run re-draws exactly the images an
/// unsharded one does.
public enum MemorizedRedraw {
    /// What the policy did.
    public struct Outcome: Sendable {
        /// The images, in the input order; a left-out image is empty.
        public var images: [[Float]]
        /// The seed each image was drawn with.
        public var seeds: [UInt64]
        /// Images re-drawn at least once.
        public var redrawn: Int
        /// Images left out (still flagged after the last re-draw).
        public var leftOut: Int
    }

    /// Applies the policy.
    ///
    /// - Parameters:
    ///   - images: the drawn images, `side × side` values each in [-1, 1].
    ///   - seed: the seed they were drawn with.
    ///   - training: the training images at `side`.
    ///   - maxRedraws: re-draws allowed per image.
    ///   - onRedraw: told, before each round, how many images are re-drawn and the round (1-based).
    ///   - draw: draws again the images at the given positions with the given seed.
    /// - Throws: ``AuditError`` from the audit, or what `draw` throws.
    public static func apply(images: [[Float]], seed: UInt64, side: Int, training: AuditImages, maxRedraws: Int,
                             onRedraw: (_ count: Int, _ round: Int) -> Void = { _, _ in },
                             draw: (_ positions: [Int], _ seed: UInt64) throws -> [[Float]]) throws -> Outcome {
        var outcome = Outcome(images: images, seeds: Array(repeating: seed, count: images.count), redrawn: 0, leftOut: 0)
        var suspects = Array(images.indices)
        var everRedrawn = Set<Int>()
        for attempt in 0...maxRedraws {
            guard !suspects.isEmpty else { break }
            let audit = try MemorizationAudit.run(samples: AuditImages(side: side, pixels: suspects.flatMap { outcome.images[$0] }),
                                                  training: training)
            suspects = audit.samples.indices.filter { audit.samples[$0].isFlagged }.map { suspects[$0] }
            guard !suspects.isEmpty else { break }
            guard attempt < maxRedraws else {
                for index in suspects { outcome.images[index] = [] }
                outcome.leftOut = suspects.count
                break
            }
            onRedraw(suspects.count, attempt + 1)
            let redrawSeed = seed &+ UInt64(attempt + 1)
            let fresh = try draw(suspects, redrawSeed)
            for (position, index) in suspects.enumerated() {
                outcome.images[index] = fresh[position]
                outcome.seeds[index] = redrawSeed
                everRedrawn.insert(index)
            }
        }
        outcome.redrawn = everRedrawn.count
        return outcome
    }
}

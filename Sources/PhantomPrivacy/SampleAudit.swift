/// What the audit found for one sample: its closest training image under each of three
/// distances, each with a memorization ratio, and whether any ratio is low enough to
/// flag the sample as a likely copy.
///
/// Distances are L2 norms of pixel differences on the [-1, 1] scale at the audit's
/// resolution (an all-black and an all-white `n`×`n` image are `2n` apart). Each ratio
/// is the distance to the closest training image over the mean distance to the k
/// closest (the closest included) — Carlini et al.'s (2023) memorization score up to
/// their factor α = 0.5. A copy of one training image stands out from its other
/// neighbours: ratio near 0; a new image is about as far from its nearest training
/// image as from its 50th: ratio near 1.
///
/// - ``nearest``: plain L2 over the whole image. Catches exact copies and copies under
///   noise.
/// - ``shifted``: ``ShiftedDistance`` (the best of all translations by up to 2 pixels,
///   over the central window), measured on the k nearest by plain L2. Catches copies
///   moved by a pixel or two, which plain L2 does not: on 64×64 head scans a one-pixel
///   shift moves a copy as far as a neighbouring slice.
/// - ``half``: L2 over the best-matching half of the image — left, right, top or bottom
///   — with its own k nearest. Catches a sample that copies half a training image
///   whatever the other half holds, whose full-image ratio only drops to about 1/√2.
///   (Carlini et al.'s tiled ℓ2 takes the *maximum* over tiles, demanding that every
///   tile match; that guards against false matches on uniform background but cannot see
///   partial copies. The *minimum* over smaller pieces — the best 8 of a 4×4 grid of
///   tiles — flagged 7% of held-out head scans, matching blank background; whole halves
///   keep part of the anatomy in every choice and flagged 3%, real near-duplicate
///   halves of adjacent slices.)
///
/// When all k distances are 0 the ratio is 0 for ``nearest`` and ``shifted`` (the sample
/// is pixel-identical to training images) and 1 for ``half`` (half the image is
/// identical in k training images, typically blank: no image is singled out).
public struct SampleAudit: Sendable, Hashable {
    /// The closest training image under one distance.
    public struct Match: Sendable, Hashable {
        /// Index of the training image.
        public var training: Int
        /// Distance to it.
        public var distance: Float
        /// ``distance`` over the mean distance to the k closest under the same distance.
        public var ratio: Float

        public init(training: Int, distance: Float, ratio: Float) {
            self.training = training
            self.distance = distance
            self.ratio = ratio
        }
    }

    /// Closest by plain L2.
    public var nearest: Match
    /// Closest allowing a shift of up to 2 pixels.
    public var shifted: Match
    /// Closest on the best-matching half.
    public var half: Match
    /// Whether any of the three ratios is below the threshold.
    public var isFlagged: Bool

    public init(nearest: Match, shifted: Match, half: Match, isFlagged: Bool) {
        self.nearest = nearest
        self.shifted = shifted
        self.half = half
        self.isFlagged = isFlagged
    }

    /// The match with the smallest ratio (the first of nearest, shifted, half on ties):
    /// the training image this sample most looks copied from.
    public var strongest: Match {
        [shifted, half].reduce(nearest) { $1.ratio < $0.ratio ? $1 : $0 }
    }
}

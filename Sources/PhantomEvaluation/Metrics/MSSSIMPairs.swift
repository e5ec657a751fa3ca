extension MSSSIM {
    /// The pairs (i, j), i < j, of `imageCount` images that ``meanPairwise(_:side:maxPairs:seed:)``
    /// averages over.
    ///
    /// When there are at most `maxPairs` pairs (imageCount·(imageCount − 1)/2), all of them,
    /// in order (0, 1), (0, 2), …, (1, 2), …. Otherwise `maxPairs` distinct pairs, sorted the
    /// same way, drawn with SplitMix64 (Steele, Lea & Flood 2014, "Fast Splittable
    /// Pseudorandom Number Generators") seeded with `seed`: each draw takes i uniform in
    /// 0..<imageCount and j uniform among the other images (a uniform value in 0..<n is the
    /// high word of a 64-bit draw times n), so every unordered pair is equally likely; a pair
    /// drawn before is discarded and the draw repeated.
    ///
    /// - Precondition: `imageCount >= 0`, `maxPairs >= 1`.
    public static func pairs(imageCount: Int, maxPairs: Int, seed: UInt64) -> [(Int, Int)] {
        precondition(imageCount >= 0 && maxPairs >= 1, "MS-SSIM pairs of \(imageCount) images, at most \(maxPairs)")
        let total = imageCount * (imageCount - 1) / 2
        var pairs = [(Int, Int)]()
        if total <= maxPairs {
            pairs.reserveCapacity(max(total, 0))
            for i in 0..<max(imageCount, 0) {
                for j in (i + 1)..<imageCount { pairs.append((i, j)) }
            }
            return pairs
        }
        var generator = SplitMix64(state: seed)
        var chosen = Set<Int>()
        chosen.reserveCapacity(maxPairs)
        while chosen.count < maxPairs {
            let i = generator.uniform(below: imageCount)
            var j = generator.uniform(below: imageCount - 1)
            if j >= i { j += 1 }
            chosen.insert(min(i, j) * imageCount + max(i, j))
        }
        return chosen.sorted().map { ($0 / imageCount, $0 % imageCount) }
    }

    /// SplitMix64: the state advances by the golden-ratio increment and each output is a
    /// bijective mix of the state.
    struct SplitMix64 {
        var state: UInt64

        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }

        /// A value in 0..<bound: the high word of next() × bound (bias below bound/2⁶⁴).
        mutating func uniform(below bound: Int) -> Int {
            Int(next().multipliedFullWidth(by: UInt64(bound)).high)
        }
    }
}

import PhantomTensor

/// Deterministic permutations and subsets keyed by a seed and a purpose, so every random
/// choice of an evaluation is reproducible and independent of the thread count.
enum SeededShuffle {
    /// A Fisher–Yates permutation of `0..<count` drawn from the stream (seed, purpose, round).
    static func permutation(_ count: Int, seed: UInt64, purpose: UInt32, round: UInt32 = 0) -> [Int] {
        var order = Array(0..<count)
        guard count > 1 else { return order }
        let stream = RandomStream(seed: seed, purpose, round)
        for i in stride(from: count - 1, to: 0, by: -1) {
            let j = min(i, Int(stream.uniform(i) * Float(i + 1)))
            order.swapAt(i, j)
        }
        return order
    }

    /// `size` distinct elements of `items` (all of them if fewer), in a seeded order.
    static func subset(_ items: [Int], size: Int, seed: UInt64, purpose: UInt32, round: UInt32 = 0) -> [Int] {
        let order = permutation(items.count, seed: seed, purpose: purpose, round: round)
        return order.prefix(size).map { items[$0] }
    }
}

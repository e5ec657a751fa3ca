import PhantomTensor

/// The order images are visited in: epoch after epoch, each a fresh random
/// permutation of the dataset keyed by (seed, epoch). Position `p` of the endless
/// sequence is a pure function of `p`, so the step number alone says where a run
/// is in its data, and a resumed run sees the same images as an uninterrupted one.
struct DataOrder {
    let count: Int
    let seed: UInt64
    private var cachedEpoch = -1
    private var permutation: [Int] = []

    init(count: Int, seed: UInt64) {
        precondition(count > 0, "DataOrder of an empty dataset")
        self.count = count
        self.seed = seed
    }

    /// The image at position `position` of the endless sequence.
    mutating func image(at position: Int) -> Int {
        let epoch = position / count
        if epoch != cachedEpoch {
            permutation = Self.permutation(count: count, seed: seed, epoch: epoch)
            cachedEpoch = epoch
        }
        return permutation[position % count]
    }

    /// A Fisher–Yates shuffle driven by the stream (seed, dataOrder, epoch).
    static func permutation(count: Int, seed: UInt64, epoch: Int) -> [Int] {
        let stream = RandomStream(seed: seed, RandomPurpose.dataOrder.rawValue, UInt32(truncatingIfNeeded: epoch))
        var order = Array(0..<count)
        var i = count - 1
        while i > 0 {
            // Two 32-bit words make a 64-bit draw; the modulo bias is below 2^-32 for any real dataset.
            let block = stream.block(UInt32(truncatingIfNeeded: i))
            let draw = (UInt64(block.0) << 32) | UInt64(block.1)
            let j = Int(draw % UInt64(i + 1))
            order.swapAt(i, j)
            i -= 1
        }
        return order
    }
}

import Foundation
import PhantomTensor

/// The order images are visited in: epoch after epoch, each a fresh random
/// permutation keyed by (seed, epoch). Position `p` of the endless sequence is a pure
/// function of `p`, so the step number alone says where a run is in its data, and a
/// resumed run sees the same images as an uninterrupted one.
///
/// With class balance α (``init(labels:balance:seed:)``), an epoch gives class `c` a number
/// of slots proportional to `n_c^(1−α)` for its `n_c` images (α = 0: as many as it has
/// images; α = 1: the same for every class), filled from the class's own endless sequence
/// of permutations, then shuffled: a rare class's images come round more often, and
/// each class still visits all of its images before repeating one.
struct DataOrder {
    let seed: UInt64
    /// The positions of one epoch.
    let epochLength: Int
    /// Balanced orders only: the images of each class, in index order, and the class's slots per epoch.
    private let classImages: [[Int]]
    private let classSlots: [Int]
    private var cachedEpoch = -1
    private var epochImages: [Int] = []

    /// The natural order: every epoch a permutation of `0..<count`.
    init(count: Int, seed: UInt64) {
        precondition(count > 0, "DataOrder of an empty dataset")
        self.seed = seed
        epochLength = count
        classImages = []
        classSlots = []
    }

    /// A class-balanced order of images labelled `labels[i]` (in `0..<labels.max()+1`).
    ///
    /// - Parameters:
    ///   - labels: each image's class.
    ///   - balance: α in [0, 1]; class `c` gets `round(N · n_c^(1−α) / Σ_k n_k^(1−α))`
    ///     slots of an epoch (at least one), for `N` images in all.
    ///   - seed: the run's seed.
    init(labels: [Int], balance: Double, seed: UInt64) {
        precondition(!labels.isEmpty && (0...1).contains(balance), "DataOrder: empty labels or balance outside [0, 1]")
        self.seed = seed
        var members = [[Int]](repeating: [], count: labels.max()! + 1)
        for (image, label) in labels.enumerated() { members[label].append(image) }
        members.removeAll { $0.isEmpty }
        let weights = members.map { pow(Double($0.count), 1 - balance) }
        let total = weights.reduce(0, +)
        classImages = members
        classSlots = weights.map { max(1, Int((Double(labels.count) * $0 / total).rounded())) }
        epochLength = classSlots.reduce(0, +)
    }

    /// The image at position `position` of the endless sequence.
    mutating func image(at position: Int) -> Int {
        let epoch = position / epochLength
        if epoch != cachedEpoch {
            epochImages = images(ofEpoch: epoch)
            cachedEpoch = epoch
        }
        return epochImages[position % epochLength]
    }

    /// Epoch `epoch`'s images in visiting order.
    func images(ofEpoch epoch: Int) -> [Int] {
        let mixing = Self.permutation(count: epochLength, seed: seed, epoch: epoch)
        guard !classImages.isEmpty else { return mixing }
        // Class c fills its slots from positions [epoch·s_c, (epoch+1)·s_c) of its own sequence.
        var slots: [Int] = []
        slots.reserveCapacity(epochLength)
        for (index, members) in classImages.enumerated() {
            let count = members.count, start = epoch * classSlots[index]
            var classEpoch = -1, order: [Int] = []
            for position in start..<(start + classSlots[index]) {
                if position / count != classEpoch {
                    classEpoch = position / count
                    order = Self.permutation(count: count, seed: seed, epoch: classEpoch, stream: UInt32(index + 1))
                }
                slots.append(members[order[position % count]])
            }
        }
        return mixing.map { slots[$0] }
    }

    /// A Fisher–Yates shuffle driven by the stream (seed, dataOrder, epoch, stream): stream 0
    /// orders a whole epoch, stream c + 1 the images of class c in a balanced order.
    static func permutation(count: Int, seed: UInt64, epoch: Int, stream: UInt32 = 0) -> [Int] {
        let random = RandomStream(seed: seed, RandomPurpose.dataOrder.rawValue, UInt32(truncatingIfNeeded: epoch), stream)
        var order = Array(0..<count)
        var i = count - 1
        while i > 0 {
            // Two 32-bit words make a 64-bit draw; the modulo bias is below 2^-32 for any real dataset.
            let block = random.block(UInt32(truncatingIfNeeded: i))
            let draw = (UInt64(block.0) << 32) | UInt64(block.1)
            let j = Int(draw % UInt64(i + 1))
            order.swapAt(i, j)
            i -= 1
        }
        return order
    }
}

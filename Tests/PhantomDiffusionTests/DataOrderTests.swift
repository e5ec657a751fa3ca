@testable import PhantomDiffusion
import Testing

/// ``DataOrder``: epoch after epoch a fresh permutation keyed by (seed, epoch), so the
/// position alone says which image comes next.
@Suite struct DataOrderTests {
    static let count = 37

    @Test func everyEpochIsAPermutationOfTheDataset() {
        for epoch in 0..<5 {
            let order = DataOrder.permutation(count: Self.count, seed: 11, epoch: epoch)
            #expect(order.sorted() == Array(0..<Self.count), "epoch \(epoch)")
        }
    }

    @Test func epochsAndSeedsGiveDifferentOrders() {
        let orders = (0..<5).map { DataOrder.permutation(count: Self.count, seed: 11, epoch: $0) }
        #expect(Set(orders).count == orders.count, "five epochs, five different orders")
        #expect(!orders.contains(Array(0..<Self.count)), "no epoch keeps the files' order")
        #expect(DataOrder.permutation(count: Self.count, seed: 12, epoch: 0) != orders[0])
    }

    @Test func theSameSeedGivesTheSameSequence() {
        var first = DataOrder(count: Self.count, seed: 11), second = DataOrder(count: Self.count, seed: 11)
        let positions = 0..<(3 * Self.count)
        let sequence = positions.map { first.image(at: $0) }
        #expect(positions.map { second.image(at: $0) } == sequence)
        // The sequence is the epochs' permutations one after another.
        let epochs = (0..<3).flatMap { DataOrder.permutation(count: Self.count, seed: 11, epoch: $0) }
        #expect(sequence == epochs)
    }

    @Test func positionsCanBeVisitedInAnyOrder() {
        var order = DataOrder(count: Self.count, seed: 11)
        let forward = (0..<(2 * Self.count)).map { order.image(at: $0) }
        var fresh = DataOrder(count: Self.count, seed: 11)
        let backward = (0..<(2 * Self.count)).reversed().map { fresh.image(at: $0) }
        #expect(Array(backward.reversed()) == forward, "a resumed run jumps straight to its position")
    }

    @Test func aOneImageDatasetAlwaysGivesThatImage() {
        var order = DataOrder(count: 1, seed: 3)
        #expect((0..<4).map { order.image(at: $0) } == [0, 0, 0, 0])
    }

    // MARK: Class balance

    /// 40 images: class 0 has 30, class 1 has 7, class 2 has 3, spread over the indices
    /// (image i is the (17·i mod 40)-th of the sorted labels).
    static let labels = (0..<40).map { (17 * $0) % 40 }.map { $0 < 30 ? 0 : $0 < 37 ? 1 : 2 }

    static func classCounts(_ images: [Int]) -> [Int] {
        var counts = [0, 0, 0]
        for image in images { counts[labels[image]] += 1 }
        return counts
    }

    @Test func fullBalanceGivesEveryClassTheSameShareOfAnEpoch() {
        let order = DataOrder(labels: Self.labels, balance: 1, seed: 11)
        // round(40 / 3) = 13 slots each.
        #expect(order.epochLength == 39)
        for epoch in 0..<4 {
            #expect(Self.classCounts(order.images(ofEpoch: epoch)) == [13, 13, 13], "epoch \(epoch)")
        }
    }

    @Test func noBalanceKeepsTheDataProportions() {
        let order = DataOrder(labels: Self.labels, balance: 0, seed: 11)
        #expect(order.epochLength == 40)
        // Each class fills exactly its own count, so every epoch is a permutation of the data.
        for epoch in 0..<3 { #expect(order.images(ofEpoch: epoch).sorted() == Array(0..<40)) }
    }

    @Test func halfBalanceSitsBetween() {
        // Weights √30, √7, √3 of 40 slots: 22.2, 10.7, 7.0.
        let order = DataOrder(labels: Self.labels, balance: 0.5, seed: 11)
        #expect(Self.classCounts(order.images(ofEpoch: 0)) == [22, 11, 7])
    }

    @Test func aRareClassComesRoundEvenly() {
        let order = DataOrder(labels: Self.labels, balance: 1, seed: 11)
        let rare = (0..<40).filter { Self.labels[$0] == 2 }
        // The rare class's visits over six epochs. Epoch e takes positions 13e ..< 13(e+1) of the
        // class's own sequence of permutations of its 3 images, then mixes them among the others.
        let visits = (0..<6).flatMap { epoch in order.images(ofEpoch: epoch).filter { Self.labels[$0] == 2 } }
        #expect(visits.count == 78)
        // 13 slots per epoch over 3 images: each epoch holds every rare image 4 or 5 times.
        for epoch in 0..<6 {
            let counts = rare.map { image in visits[(epoch * 13)..<((epoch + 1) * 13)].filter { $0 == image }.count }
            #expect(counts.allSatisfy { $0 == 4 || $0 == 5 }, "epoch \(epoch): \(counts)")
        }
        // Over 78 visits (26 rounds of 3), every rare image comes exactly 26 times.
        #expect(rare.map { image in visits.filter { $0 == image }.count } == [26, 26, 26])
    }

    @Test func balancedPositionsArePureFunctionsOfThePosition() {
        var order = DataOrder(labels: Self.labels, balance: 0.7, seed: 4)
        let forward = (0..<150).map { order.image(at: $0) }
        var fresh = DataOrder(labels: Self.labels, balance: 0.7, seed: 4)
        let backward = (0..<150).reversed().map { fresh.image(at: $0) }
        #expect(Array(backward.reversed()) == forward)
        var reseeded = DataOrder(labels: Self.labels, balance: 0.7, seed: 5)
        #expect((0..<150).map { reseeded.image(at: $0) } != forward)
    }

    /// A trainer given class balance 0 visits the images in the natural order, as one given none.
    @Test func zeroBalanceIsTheNaturalOrder() throws {
        func sequence(_ balance: Double?) throws -> [Int] {
            var options = TrainingOptions()
            options.classBalance = balance
            options.seed = 7
            let trainer = try Trainer(unet: InputLimitTests.makeUNet(classEmbeds: 4),
                                      images: InputLimitTests.ShapedImages(count: 9, classCount: 3),
                                      schedule: NoiseSchedule(), options: options)
            return (0..<27).map { trainer.order.image(at: $0) }
        }
        #expect(try sequence(0) == sequence(nil))
        #expect(try sequence(1) != sequence(nil))
    }
}

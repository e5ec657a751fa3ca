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
}

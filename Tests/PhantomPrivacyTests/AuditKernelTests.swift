@testable import PhantomPrivacy
import Testing

/// The small pieces the search is built from.
@Suite struct AuditKernelTests {
    @Test func heapKeepsTheNearestWithTiesByIndex() {
        var heap = NeighbourHeap(capacity: 3)
        for (index, distance) in [5, 1, 4, 1, 3, 9, 2, 1].enumerated() {
            heap.offer(Neighbour(index: index, distance: Float(distance)))
        }
        #expect(heap.sorted.map(\.index) == [1, 3, 7])
        #expect(heap.admissionLimit == 1)
    }

    @Test func halfDistanceLanesMatchTheScalarForm() {
        var random = SplitMix(seed: 8)
        let quadrants = (0..<4).map { _ in SIMD8<Float>((0..<8).map { _ in random.uniform() }) }
        let lanes = HalfDistance.squared(quadrants[0], quadrants[1], quadrants[2], quadrants[3])
        for lane in 0..<8 {
            #expect(lanes[lane] == HalfDistance.squared(quadrants.map { $0[lane] }))
        }
        #expect(HalfDistance.squared([1, 2, 3, 4]) == 3)  // top half: 1 + 2
        #expect(HalfDistance.squared([4, 1, 3, 1]) == 2)  // right half: 1 + 1
    }

    @Test func quadrantOrderIsAPermutation() {
        for side in [8, 9, 13] {
            let quadrants = Quadrants(side: side)
            #expect(quadrants.order.sorted() == Array(0..<(side * side)))
            #expect(quadrants.starts == [0, (side / 2) * (side / 2), (side / 2) * side,
                                         side * side - (side - side / 2) * (side - side / 2), side * side])
        }
    }
}

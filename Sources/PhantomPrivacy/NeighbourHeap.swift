/// A training image and its distance (or squared distance) from some image.
struct Neighbour: Sendable, Hashable {
    var index: Int
    var distance: Float

    /// Orders by distance, then by index, so ties resolve the same way every run.
    static func precedes(_ a: Neighbour, _ b: Neighbour) -> Bool {
        a.distance < b.distance || (a.distance == b.distance && a.index < b.index)
    }
}

/// The `capacity` nearest neighbours offered so far: a max-heap on (distance, index)
/// whose root is the worst kept neighbour. Offering is O(log capacity), rejecting O(1).
struct NeighbourHeap {
    let capacity: Int
    private var heap: [Neighbour] = []

    /// - Precondition: `capacity > 0`.
    init(capacity: Int) {
        precondition(capacity > 0, "a neighbour heap needs room for one neighbour")
        self.capacity = capacity
        heap.reserveCapacity(capacity)
    }

    /// The distance a new neighbour must beat to be kept (infinity until full).
    /// Offering neighbours in increasing index order, `distance < admissionLimit` is
    /// exactly the condition for being kept.
    var admissionLimit: Float { heap.count < capacity ? .infinity : heap[0].distance }

    /// Keeps `candidate` if it is among the `capacity` nearest offered so far.
    mutating func offer(_ candidate: Neighbour) {
        if heap.count < capacity {
            heap.append(candidate)
            siftUp(heap.count - 1)
        } else if Neighbour.precedes(candidate, heap[0]) {
            heap[0] = candidate
            siftDown(0)
        }
    }

    /// The kept neighbours, nearest first.
    var sorted: [Neighbour] { heap.sorted(by: Neighbour.precedes) }

    private mutating func siftUp(_ start: Int) {
        var child = start
        while child > 0 {
            let parent = (child - 1) / 2
            guard Neighbour.precedes(heap[parent], heap[child]) else { return }
            heap.swapAt(parent, child)
            child = parent
        }
    }

    private mutating func siftDown(_ start: Int) {
        var parent = start
        while true {
            let left = 2 * parent + 1, right = left + 1
            var largest = parent
            if left < heap.count && Neighbour.precedes(heap[largest], heap[left]) { largest = left }
            if right < heap.count && Neighbour.precedes(heap[largest], heap[right]) { largest = right }
            if largest == parent { return }
            heap.swapAt(parent, largest)
            parent = largest
        }
    }
}

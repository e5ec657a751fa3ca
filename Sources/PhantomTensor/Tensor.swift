/// A dense Float32 array with a shape, stored row-major (images as NCHW) in
/// 64-byte-aligned memory that the tensor owns.
///
/// Tensors of ``mappingThreshold`` bytes or more take fresh pages from the kernel, which
/// read as zero without being written: memory a tensor never touches (a parameter's
/// gradient while sampling) costs no resident memory.
///
/// Tensors are reference types so layers can keep their activations and
/// workspaces from one step to the next: a buffer is allocated once per shape
/// and reused (see ``Tensor/reusing(_:shape:)`` and ``TensorPool``).
public final class Tensor: @unchecked Sendable {
    /// The extent of each dimension, outermost first. Only a ``TensorPool`` changes
    /// it (never the count), when it lends the tensor out again.
    public let shape: [Int]
    /// The number of elements, the product of `shape`.
    public let count: Int
    /// The first element. Valid for `count` elements while the tensor lives.
    public let data: UnsafeMutablePointer<Float>
    /// What owns the memory this tensor views (another tensor, a pool's arena), kept alive
    /// by the view; nil when the tensor owns its memory.
    private let owner: AnyObject?
    /// The size of the mapping `data` starts, or 0 when `data` comes from the heap.
    private let mappedBytes: Int

    /// The size from which a tensor's memory is mapped from the kernel rather than the heap.
    public static let mappingThreshold = 1 << 20

    /// A tensor of the given shape filled with zeros.
    public init(zeros shape: [Int]) {
        precondition(shape.allSatisfy { $0 >= 0 }, "negative dimension in \(shape)")
        self.shape = shape
        self.count = shape.reduce(1, *)
        owner = nil
        let bytes = max(count, 1) * MemoryLayout<Float>.stride
        if bytes >= Self.mappingThreshold, let pages = ReservedMemory.zeroedPages(bytes) {
            data = pages.bindMemory(to: Float.self, capacity: count)
            mappedBytes = bytes
            return
        }
        let raw = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64)
        data = raw.bindMemory(to: Float.self, capacity: max(count, 1))
        data.initialize(repeating: 0, count: max(count, 1))
        mappedBytes = 0
    }

    /// A tensor of `shape` over the first elements of `base`'s memory (which must
    /// hold at least as many).
    public init(viewing base: Tensor, shape: [Int]) {
        self.shape = shape
        count = shape.reduce(1, *)
        precondition(count <= base.count, "a view of \(shape) over \(base.shape)")
        data = base.data
        owner = base
        mappedBytes = 0
    }

    /// A tensor of `shape` over memory that `owner` keeps valid.
    init(viewing memory: UnsafeMutablePointer<Float>, shape: [Int], owner: AnyObject) {
        self.shape = shape
        count = shape.reduce(1, *)
        data = memory
        self.owner = owner
        mappedBytes = 0
    }

    /// A tensor of the given shape holding `values` (row-major).
    public convenience init(shape: [Int], values: [Float]) {
        self.init(zeros: shape)
        precondition(values.count == count, "\(values.count) values for shape \(shape)")
        values.withUnsafeBufferPointer { data.update(from: $0.baseAddress!, count: count) }
    }

    deinit {
        if mappedBytes > 0 {
            ReservedMemory.release(data, bytes: mappedBytes)
        } else if owner == nil {
            data.deallocate()
        }
    }

    /// Returns `existing` when it already has `shape`, otherwise a new zeroed tensor:
    /// the way layers keep one buffer per batch shape.
    public static func reusing(_ existing: Tensor?, shape: [Int]) -> Tensor {
        if let existing, existing.shape == shape { return existing }
        return Tensor(zeros: shape)
    }

    /// A view of the items `range` of the first axis: `[N, …]` → `[range.count, …]` over the
    /// same memory (valid while this tensor lives).
    public func items(_ range: Range<Int>) -> Tensor {
        precondition(!shape.isEmpty && range.lowerBound >= 0 && range.upperBound <= shape[0], "items \(range) of \(shape)")
        let perItem = shape[0] == 0 ? 0 : count / shape[0]
        return Tensor(viewing: data + range.lowerBound * perItem, shape: [range.count] + shape.dropFirst(), owner: self)
    }

    /// The elements as an array (for tests and I/O, not for hot loops).
    public var values: [Float] { Array(UnsafeBufferPointer(start: data, count: count)) }

    /// The elements of each index of the first axis as its own array: `[N, …]` → N arrays of
    /// `count / N` elements (a batch of images, one array per image; for I/O).
    public var itemValues: [[Float]] {
        let items = shape.first ?? 0, perItem = items == 0 ? 0 : count / items
        return (0..<items).map { Array(UnsafeBufferPointer(start: data + $0 * perItem, count: perItem)) }
    }

    /// The elements as a buffer pointer.
    public var buffer: UnsafeMutableBufferPointer<Float> {
        UnsafeMutableBufferPointer(start: data, count: count)
    }

    /// Sets every element to zero.
    public func zero() { data.update(repeating: 0, count: count) }

    /// Copies every element of `other`, which must have the same count.
    public func copy(from other: Tensor) {
        precondition(other.count == count, "copy of \(other.shape) into \(shape)")
        data.update(from: other.data, count: count)
    }
}

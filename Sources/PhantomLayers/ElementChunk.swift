/// A fixed piece of one tensor's elements. Element-wise passes over a list of
/// parameters (AdamW, EMA, gradient norms) split the work into these pieces, whose
/// boundaries depend only on the tensor sizes, never on the worker count.
struct ElementChunk {
    /// The elements per piece: large enough to amortise dispatch (~10 µs of work).
    static let size = 1 << 15

    /// The index of the tensor in the caller's list.
    let tensor: Int
    /// The elements of that tensor this piece covers.
    let range: Range<Int>

    /// The pieces covering every element of tensors with the given element counts, in order.
    static func split(_ counts: [Int]) -> [ElementChunk] {
        counts.enumerated().flatMap { tensor, count in
            stride(from: 0, to: count, by: size).map { ElementChunk(tensor: tensor, range: $0..<min(count, $0 + size)) }
        }
    }
}

/// Buffers lent out for tensors and given back when their value is no longer needed,
/// so a model holds the tensors alive at one time rather than one per layer.
///
/// A request gets the smallest free buffer that is large enough (viewed with the
/// requested shape), or a new one. Nothing is ever freed: a model takes and gives in
/// the same order every step, so once the first steps have sized the pool, every
/// `take` finds a buffer and steps neither allocate nor fault pages in. A pool is used
/// by one model on one thread (as ``Workspace``).
public final class TensorPool {
    /// Free buffers, smallest first.
    private var free: [Tensor] = []
    /// The buffer behind each lent tensor.
    private var lent: [ObjectIdentifier: Tensor] = [:]
    /// Views already made of each buffer, by shape, so steady steps make none.
    private var views: [ObjectIdentifier: [[Int]: Tensor]] = [:]
    /// Bytes of every buffer the pool has allocated (lent or free).
    public private(set) var allocatedBytes = 0

    /// An empty pool.
    public init() {}

    /// A tensor of `shape` with undefined contents, owned by the caller until given back.
    public func take(_ shape: [Int]) -> Tensor {
        let count = shape.reduce(1, *)
        let buffer: Tensor
        if let index = free.firstIndex(where: { $0.count >= count }) {
            buffer = free.remove(at: index)
        } else {
            buffer = Tensor(zeros: [count])
            allocatedBytes += count * MemoryLayout<Float>.stride
        }
        let key = ObjectIdentifier(buffer)
        let tensor = views[key]?[shape] ?? Tensor(viewing: buffer, shape: shape)
        views[key, default: [:]][shape] = tensor
        lent[ObjectIdentifier(tensor)] = buffer
        return tensor
    }

    /// Takes `tensor` back if this pool lent it; a tensor the pool did not lend (a
    /// layer's own buffer, the caller's input) is left alone, so callers can give
    /// back whatever a layer returned without knowing where it came from.
    public func give(_ tensor: Tensor) {
        guard let buffer = lent.removeValue(forKey: ObjectIdentifier(tensor)) else { return }
        let index = free.firstIndex { $0.count >= buffer.count } ?? free.count
        free.insert(buffer, at: index)
    }
}

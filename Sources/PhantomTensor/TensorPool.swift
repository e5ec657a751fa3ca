/// Buffers lent out by element count and given back when their value is no longer
/// needed, so a model holds the tensors alive at one time rather than one per layer.
///
/// Nothing is ever freed: a model takes and gives in the same order every step, so
/// after the first step every `take` finds a buffer, and steps neither allocate
/// nor fault pages in. Buffers come back LIFO, so which buffer a layer gets is the
/// same every step. A pool is used by one model on one thread (as ``Workspace``).
public final class TensorPool {
    private var free: [Int: [Tensor]] = [:]
    private var lent: [ObjectIdentifier: Tensor] = [:]
    /// Bytes of every buffer the pool has allocated (lent or free).
    public private(set) var allocatedBytes = 0

    /// An empty pool.
    public init() {}

    /// A tensor of `shape` with undefined contents, owned by the caller until given back.
    public func take(_ shape: [Int]) -> Tensor {
        let count = shape.reduce(1, *)
        let tensor: Tensor
        if let reused = free[count]?.popLast() {
            reused.shape = shape
            tensor = reused
        } else {
            tensor = Tensor(zeros: shape)
            allocatedBytes += count * MemoryLayout<Float>.stride
        }
        lent[ObjectIdentifier(tensor)] = tensor
        return tensor
    }

    /// Takes `tensor` back if this pool lent it; a tensor the pool did not lend (a
    /// layer's own buffer, the caller's input) is left alone, so callers can give
    /// back whatever a layer returned without knowing where it came from.
    public func give(_ tensor: Tensor) {
        guard lent.removeValue(forKey: ObjectIdentifier(tensor)) != nil else { return }
        free[tensor.count, default: []].append(tensor)
    }
}

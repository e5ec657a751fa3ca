import PhantomTensor

/// Sums a fixed list of tensors element-wise over the processes of a ``ProcessGroup``,
/// in place, through one contiguous buffer: one collective per call instead of one per
/// tensor, so a step pays the network's latency once.
///
/// Cost per call: two copies of the tensors (pack, unpack) and one all-reduce of their
/// total size; with a single process it does nothing.
public final class TensorAllReduce {
    public let tensors: [Tensor]
    private let staging: Tensor
    private let offsets: [Int]

    /// - Parameter tensors: the tensors every call sums (their shapes are fixed).
    public init(_ tensors: [Tensor]) {
        self.tensors = tensors
        var offsets: [Int] = [], total = 0
        for tensor in tensors {
            offsets.append(total)
            total += tensor.count
        }
        self.offsets = offsets
        staging = Tensor(zeros: [max(1, total)])
    }

    /// Replaces every tensor, on every process, by its sum over the group's processes.
    public func sum(over group: ProcessGroup) {
        guard group.size > 1 else { return }
        let buffer = staging.data
        for (index, tensor) in tensors.enumerated() {
            (buffer + offsets[index]).update(from: tensor.data, count: tensor.count)
        }
        group.allReduceSum(buffer, count: staging.count)
        for (index, tensor) in tensors.enumerated() {
            tensor.data.update(from: buffer + offsets[index], count: tensor.count)
        }
    }
}

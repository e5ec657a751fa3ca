import PhantomLayers
import PhantomTensor

/// Data parallelism over a ``ProcessGroup`` (Li et al. 2020, "PyTorch Distributed"):
///
/// 1. every process holds the same weights, optimizer moments and EMA;
/// 2. step s's global batch of B images is split into contiguous shares
///    (``ProcessGroup/share(of:)``); slot j's image, timestep, noise and label dropout are
///    keyed by (seed, step, j) as in one process, so the N processes together draw exactly
///    the single-process batch;
/// 3. each process's loss and gradient are scaled by its share b/B, so their sum over the
///    processes is the gradient of the whole batch's mean loss;
/// 4. ``sumOverProcesses(loss:)`` all-reduces the gradients (one contiguous buffer) and the
///    loss; clipping, AdamW and the EMA then run on identical inputs everywhere.
///
/// Only the order of the floating-point sums differs from one process (per-process partial
/// sums, then across processes), so the weights agree with a single process's to rounding,
/// and two runs with the same N agree bit for bit.
extension Trainer {
    /// Sums the parameters' gradients and `loss` over the processes; returns the summed loss.
    func sumOverProcesses(loss: Double) -> Double {
        guard group.size > 1 else { return loss }
        gradientReduction.sum(over: group)
        return group.allReduceSum([loss])[0]
    }

    /// A 64-bit FNV-1a hash of the weights' bits. Data-parallel processes must agree on it
    /// after every step; ``TrainingRun`` checks this at each checkpoint.
    public func weightsFingerprint() -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for parameter in parameters {
            let value = parameter.value
            for i in 0..<value.count {
                hash = (hash ^ UInt64(value.data[i].bitPattern)) &* 0x0000_0100_0000_01b3
            }
        }
        return hash
    }
}

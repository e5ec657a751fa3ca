/// Scratch memory shared by the layers of one model, reused from step to step so
/// the hot loop does not allocate once the first step has sized it.
///
/// A model's layers run one after another and each uses scratch only during its own
/// forward or backward call: the call opens a scope (``withScratch(_:)``), takes its
/// buffers (``shared(slot:count:)`` for buffers that span the batch, ``perWorker(slots:counts:)``
/// for one per worker of ``Parallel/forEach(_:_:)``), and gives them back when the scope
/// ends. They come from the model's ``pool``, the same arena as its activations, so a
/// layer's scratch takes memory that no activation holds at that moment: the model
/// holds its largest activations plus one layer's scratch, not every layer's largest
/// scratch besides (`small` training, batch 8: peak RSS 575 → 517 MiB). A model that runs on
/// another thread needs its own workspace.
public final class Workspace: @unchecked Sendable {
    /// An empty arena; buffers grow on first use.
    public init() {}

    /// The model's activations, gradients and scratch that live only part of a step.
    public let pool = TensorPool()

    /// The open scratch scopes, innermost last.
    private var scopes: [Scope] = []
    private struct Scope {
        /// Every buffer taken in the scope, in order.
        var loans: [Tensor] = []
        /// The buffers by slot: shared ones, and each worker's.
        var shared: [Int: Tensor] = [:]
        var workers: [WorkerSlot: Tensor] = [:]
    }
    private struct WorkerSlot: Hashable { let worker: Int, slot: Int }
    private var recomputedBase: Tensor?
    private var recomputedViews: [[Int]: Tensor] = [:]

    /// Runs `body` in a scratch scope: buffers it takes from this workspace go back to the
    /// pool when it returns. Scopes nest; an inner one's buffers never alias an outer one's.
    public func withScratch<Result>(_ body: () throws -> Result) rethrows -> Result {
        scopes.append(Scope())
        defer {
            for buffer in scopes.removeLast().loans.reversed() { pool.give(buffer) }
        }
        return try body()
    }

    /// A buffer of at least `count` floats for the innermost scope: `existing` (the one the
    /// scope took for the same slot) when it is large enough.
    private func take(_ count: Int, reusing existing: Tensor?) -> Tensor {
        precondition(!scopes.isEmpty, "Workspace: scratch taken outside withScratch")
        if let existing, existing.count >= count { return existing }
        let buffer = pool.take([max(count, 1)])
        scopes[scopes.count - 1].loans.append(buffer)
        return buffer
    }

    /// A shared buffer of at least `count` floats in slot `slot` (contents undefined),
    /// until the innermost ``withScratch(_:)`` scope ends.
    public func shared(slot: Int, count: Int) -> UnsafeMutablePointer<Float> {
        let buffer = take(count, reusing: scopes.last?.shared[slot])
        scopes[scopes.count - 1].shared[slot] = buffer
        return buffer.data
    }

    /// `slots` buffers of `counts` floats for each worker, until the innermost
    /// ``withScratch(_:)`` scope ends; call before `Parallel.forEach`. The handle's
    /// pointers are safe to use from the workers.
    public func perWorker(slots: Int, counts: [Int]) -> WorkerBuffers {
        precondition(counts.count == slots)
        let pointers = (0..<Parallel.workerCount).map { worker in
            (0..<slots).map { slot in
                let key = WorkerSlot(worker: worker, slot: slot)
                let buffer = take(counts[slot], reusing: scopes.last?.workers[key])
                scopes[scopes.count - 1].workers[key] = buffer
                return buffer.data
            }
        }
        return WorkerBuffers(pointers: pointers)
    }

    /// The tensor of `shape` for a value recomputed before each use — a convolution's
    /// input rebuilt from a normalisation's statistics in backward, instead of kept
    /// for the whole step. Every shape views the same memory (the largest asked for),
    /// so the value lasts only until the next call's user writes; the same shape
    /// always gives the same tensor, so a layer that kept it as its input finds the
    /// rebuilt value there.
    public func recomputed(_ shape: [Int]) -> Tensor {
        if let view = recomputedViews[shape] { return view }
        let count = shape.reduce(1, *)
        if count > recomputedBase?.count ?? -1 {
            recomputedBase = Tensor(zeros: [count])
            recomputedViews = [:]
        }
        let view = Tensor(viewing: recomputedBase!, shape: shape)
        recomputedViews[shape] = view
        return view
    }

    /// Bytes of the recomputed buffer (scratch is lent by the pool, which counts it:
    /// ``TensorPool/allocatedBytes``).
    public var scratchBytes: Int { (recomputedBase?.count ?? 0) * MemoryLayout<Float>.stride }
}

/// Per-worker scratch pointers handed out by ``Workspace/perWorker(slots:counts:)``.
public struct WorkerBuffers: @unchecked Sendable {
    let pointers: [[UnsafeMutablePointer<Float>]]

    /// Worker `worker`'s buffer for `slot`.
    @inline(__always)
    public subscript(worker: Int, slot: Int) -> UnsafeMutablePointer<Float> {
        pointers[worker][slot]
    }
}

extension Workspace {
    /// The shared slot that holds per-image parameter gradients during a backward pass.
    public static let imageGradientSlot = 0
    /// The shared slot that holds a convolution's flipped kernel during its backward pass.
    public static let flippedKernelSlot = 1
    /// Shared slots of Winograd convolutions: transformed kernels, their gradients,
    /// transformed inputs and the products of the transformed tiles.
    public static let winogradKernelSlot = 2
    public static let winogradKernelGradientSlot = 3
    public static let winogradInputSlot = 4
    public static let winogradProductSlot = 5
    /// Shared slots of oneDNN's direct convolutions: the kernel in the primitive's layout,
    /// and the sums of per-image kernel gradients in it and in Phantom's.
    public static let directKernelSlot = 6
    public static let directKernelGradientSlot = 7
}

/// Scratch memory shared by the layers of one model, reused from step to step so
/// the hot loop does not allocate once the first step has sized it.
///
/// A model's layers run one after another and each uses the workspace only during
/// its own forward or backward call, so one arena serves them all; a model that
/// runs on another thread needs its own. Each worker has its own slots (indexed by
/// the `worker` of ``Parallel/forEach(_:_:)``), and there are shared slots for
/// buffers that span the batch.
public final class Workspace: @unchecked Sendable {
    /// An empty arena; buffers grow on first use.
    public init() {}

    /// The model's activations and gradients that live only part of a step.
    public let pool = TensorPool()

    private var workerSlots: [[Buffer]] = []
    private var sharedSlots: [Buffer] = []
    private var recomputedBase: Tensor?
    private var recomputedViews: [[Int]: Tensor] = [:]

    private final class Buffer {
        var capacity = 0
        var pointer: UnsafeMutablePointer<Float>?
        func ensure(_ count: Int) -> UnsafeMutablePointer<Float> {
            if count > capacity || pointer == nil {
                pointer?.deallocate()
                let raw = UnsafeMutableRawPointer.allocate(
                    byteCount: max(count, 1) * MemoryLayout<Float>.stride, alignment: 64)
                pointer = raw.bindMemory(to: Float.self, capacity: max(count, 1))
                capacity = count
            }
            return pointer!
        }
        deinit { pointer?.deallocate() }
    }

    /// Prepares slot storage for `workers` workers; call before `Parallel.forEach`.
    /// Returns a handle whose `buffer(worker:slot:count:)` is safe to call from workers.
    public func perWorker(slots: Int, counts: [Int]) -> WorkerBuffers {
        precondition(counts.count == slots)
        let workers = Parallel.workerCount
        while workerSlots.count < workers { workerSlots.append([]) }
        var pointers: [[UnsafeMutablePointer<Float>]] = []
        for worker in 0..<workers {
            while workerSlots[worker].count < slots { workerSlots[worker].append(Buffer()) }
            pointers.append((0..<slots).map { workerSlots[worker][$0].ensure(counts[$0]) })
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

    /// Bytes of scratch the workspace holds: worker and shared slots and the recomputed
    /// buffer (the pool counts its own, ``TensorPool/allocatedBytes``).
    public var scratchBytes: Int {
        let slots = (workerSlots.flatMap { $0 } + sharedSlots).reduce(0) { $0 + $1.capacity }
        return (slots + (recomputedBase?.count ?? 0)) * MemoryLayout<Float>.stride
    }

    /// A shared buffer of at least `count` floats in slot `slot` (contents undefined).
    public func shared(slot: Int, count: Int) -> UnsafeMutablePointer<Float> {
        while sharedSlots.count <= slot { sharedSlots.append(Buffer()) }
        return sharedSlots[slot].ensure(count)
    }
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

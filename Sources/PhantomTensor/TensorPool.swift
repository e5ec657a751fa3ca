#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Memory lent out for tensors and given back when their value is no longer needed,
/// so a model holds the tensors alive at one time rather than one per layer.
///
/// The tensors are carved from one arena, a range of address space reserved up front
/// (``ReservedMemory``) whose pages are committed as the arena's high-water mark rises.
/// A request gets the smallest free region that is large enough, else the arena grows;
/// a region given back merges with free neighbours, so a large tensor can later take the
/// place of several small ones. (Separate buffers, which cannot merge, held 1.6× the
/// memory of the tensors alive at once when sampling the `small` preset; the arena holds
/// 1.1×.) Nothing is returned to the system: a model takes and gives in the same order
/// every step, so once the first step has sized the arena, every `take` finds a region
/// and steps neither allocate nor fault pages in. Should the arena be full (it reserves
/// the machine's physical memory where it can), a request gets a buffer of its own. A pool is used by
/// one model on one thread (as ``Workspace``).
public final class TensorPool {
    /// A lent region: `range` of the arena's floats, or a buffer of its own.
    private struct Loan {
        let range: Range<Int>
        let ownBuffer: Tensor?
    }

    /// Offsets and sizes are multiples of 16 floats, so every tensor starts on a 64-byte line.
    private static let alignment = 16

    private lazy var arena: ReservedMemory? = Self.reserveArena()
    /// Floats of the arena handed out at most (its high-water mark).
    private var top = 0
    /// The free regions below `top`, in address order, none adjacent to another.
    private var free: [Range<Int>] = []
    /// The region behind each lent tensor.
    private var lent: [ObjectIdentifier: Loan] = [:]
    /// Views already made at each offset, by shape, so steady steps make none.
    private var views: [Int: [[Int]: Tensor]] = [:]
    /// Bytes of buffers of their own lent out now.
    private var ownBufferBytes = 0

    /// Bytes the pool holds: the arena up to its high-water mark, and any buffers of
    /// their own lent out.
    public var allocatedBytes: Int { top * MemoryLayout<Float>.stride + ownBufferBytes }
    /// Bytes of the tensors lent out now, and the most lent at once.
    public private(set) var lentBytes = 0, peakLentBytes = 0

    /// An empty pool (it reserves its arena on the first ``take(_:)``).
    public init() {}

    /// A tensor of `shape` with undefined contents, owned by the caller until given back.
    public func take(_ shape: [Int]) -> Tensor {
        let count = shape.reduce(1, *)
        let size = max(1, (count + Self.alignment - 1) / Self.alignment) * Self.alignment
        let tensor: Tensor
        if let arena, let offset = place(size, in: arena) {
            let memory = arena.base.bindMemory(to: Float.self, capacity: top) + offset
            tensor = views[offset]?[shape] ?? Tensor(viewing: memory, shape: shape, owner: arena)
            views[offset, default: [:]][shape] = tensor
            lent[ObjectIdentifier(tensor)] = Loan(range: offset..<(offset + size), ownBuffer: nil)
        } else {
            let buffer = Tensor(zeros: [count])
            tensor = Tensor(viewing: buffer, shape: shape)
            lent[ObjectIdentifier(tensor)] = Loan(range: 0..<size, ownBuffer: buffer)
            ownBufferBytes += size * MemoryLayout<Float>.stride
        }
        lentBytes += size * MemoryLayout<Float>.stride
        peakLentBytes = max(peakLentBytes, lentBytes)
        return tensor
    }

    /// Takes `tensor` back if this pool lent it; a tensor the pool did not lend (a
    /// layer's own buffer, the caller's input) is left alone, so callers can give
    /// back whatever a layer returned without knowing where it came from.
    public func give(_ tensor: Tensor) {
        guard let loan = lent.removeValue(forKey: ObjectIdentifier(tensor)) else { return }
        let bytes = loan.range.count * MemoryLayout<Float>.stride
        lentBytes -= bytes
        if loan.ownBuffer != nil {
            ownBufferBytes -= bytes
            return
        }
        var lower = loan.range.lowerBound, upper = loan.range.upperBound
        var index = free.firstIndex { $0.lowerBound > lower } ?? free.count
        if index < free.count && free[index].lowerBound == upper {
            upper = free.remove(at: index).upperBound
        }
        if index > 0 && free[index - 1].upperBound == lower {
            index -= 1
            lower = free.remove(at: index).lowerBound
        }
        free.insert(lower..<upper, at: index)
    }

    /// The offset of a region of `size` floats: the start of the smallest free region that
    /// holds it, else the arena's top (joined to a free region that ends there); nil when
    /// the arena cannot grow that far.
    private func place(_ size: Int, in arena: ReservedMemory) -> Int? {
        var best: Int?
        for (index, region) in free.enumerated() where region.count >= size {
            if best == nil || region.count < free[best!].count { best = index }
        }
        if let best {
            let region = free[best]
            if region.count == size {
                free.remove(at: best)
            } else {
                free[best] = (region.lowerBound + size)..<region.upperBound
            }
            return region.lowerBound
        }
        let joinsLast = free.last?.upperBound == top
        let start = joinsLast ? free.last!.lowerBound : top
        guard arena.commit((start + size) * MemoryLayout<Float>.stride) else { return nil }
        if joinsLast { free.removeLast() }
        top = start + size
        return start
    }

    /// An arena of the machine's physical memory (address space only; pages are committed
    /// as used), or of half that, a quarter, … down to 256 MiB where address space is
    /// limited (`ulimit -v`); nil if even that is refused.
    private static func reserveArena() -> ReservedMemory? {
        let pages = sysconf(Int32(_SC_PHYS_PAGES)), pageSize = sysconf(Int32(_SC_PAGESIZE))
        var capacity = pages > 0 && pageSize > 0 ? pages * pageSize : 1 << 34
        while capacity >= 1 << 28 {
            if let arena = ReservedMemory(capacity: capacity) { return arena }
            capacity /= 2
        }
        return nil
    }
}

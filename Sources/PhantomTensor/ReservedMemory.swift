#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A range of address space taken from the kernel, whose pages become usable as the
/// owner commits them and read as zero until written; pages never written cost no
/// resident memory. Addresses inside the range never move, so memory handed out from it
/// stays valid while the range grows.
final class ReservedMemory {
    /// The start of the range (page-aligned).
    let base: UnsafeMutableRawPointer
    /// The size of the range in bytes.
    let capacity: Int
    /// Bytes from `base` that may be read and written.
    private(set) var committed = 0

    /// Reserves `capacity` bytes of address space (none of it usable yet), or nil if the
    /// kernel refuses.
    init?(capacity: Int) {
        guard let base = Self.map(capacity, protection: PROT_NONE) else { return nil }
        self.base = base
        self.capacity = capacity
    }

    deinit { Self.release(base, bytes: capacity) }

    /// Makes the first `bytes` bytes usable (in steps of 2 MiB, to keep system calls rare).
    /// Returns false when that is beyond ``capacity`` or the kernel refuses.
    func commit(_ bytes: Int) -> Bool {
        guard bytes > committed else { return true }
        let step = 1 << 21
        let target = min(capacity, (bytes + step - 1) / step * step)
        guard bytes <= capacity, mprotect(base + committed, target - committed, PROT_READ | PROT_WRITE) == 0 else {
            return false
        }
        committed = target
        return true
    }

    /// `bytes` of readable, writable memory of their own (page-aligned, zero until written), or
    /// nil if the kernel refuses. Give back with ``release(_:bytes:)``.
    static func zeroedPages(_ bytes: Int) -> UnsafeMutableRawPointer? {
        map(bytes, protection: PROT_READ | PROT_WRITE)
    }

    /// Gives back the `bytes` at `pages` that ``zeroedPages(_:)`` or a reservation took.
    static func release(_ pages: UnsafeMutableRawPointer, bytes: Int) {
        munmap(pages, bytes)
    }

    /// `bytes` of private anonymous memory, page-aligned, with `protection`, or nil if the
    /// kernel refuses. Pages read as zero until written.
    private static func map(_ bytes: Int, protection: Int32) -> UnsafeMutableRawPointer? {
        guard let pages = mmap(nil, bytes, protection, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0),
              pages != UnsafeMutableRawPointer(bitPattern: -1) else { return nil }  // MAP_FAILED
        return pages
    }
}

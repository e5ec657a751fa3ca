/// Lets the iterations of `DispatchQueue.concurrentPerform` (whose closure is
/// `@Sendable` on Linux) each write their own element of one buffer.
///
/// Sound only while the buffer outlives the concurrent call and no two iterations write
/// the same index; nothing reads the buffer until the call returns.
struct DisjointWrites<Element>: @unchecked Sendable {
    private let buffer: UnsafeMutableBufferPointer<Element>

    init(_ buffer: UnsafeMutableBufferPointer<Element>) {
        self.buffer = buffer
    }

    /// Stores `value` at `index`.
    func write(_ value: Element, at index: Int) {
        buffer[index] = value
    }
}

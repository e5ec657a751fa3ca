import PhantomTensor

/// Where a parameter's gradient goes when a batch holds several examples whose gradients must
/// stay apart (DP-SGD clips each example's gradient before summing).
///
/// The batch's positions are grouped into examples of ``positionsPerExample`` consecutive
/// positions (one image's K noise draws). While a parameter's
/// ``Parameter/exampleGradients`` is set, backward passes add the gradient of the loss terms
/// of positions `e·K ..< (e+1)·K` to row `e` of ``rows`` and leave ``Parameter/gradient``
/// alone. Every layer computes an example's row from that example's positions only, in an
/// order fixed by the shapes, so a row does not depend on the other examples in the batch:
/// a batched pass gives the gradients that passes over one example each would.
public final class ExampleGradients: @unchecked Sendable {
    /// `[capacity, count]`: row e is example e's gradient, flattened like the parameter.
    public let rows: Tensor
    /// The elements of the parameter (the length of a row).
    public let count: Int
    /// Consecutive batch positions per example.
    public private(set) var positionsPerExample = 1
    /// Examples in the current batch (rows in use).
    public private(set) var examples = 0

    /// Room for up to `capacity` examples of a parameter with `count` elements.
    public init(capacity: Int, count: Int) {
        rows = Tensor(zeros: [capacity, count])
        self.count = count
    }

    /// The most examples one batch may hold.
    public var capacity: Int { rows.shape[0] }

    /// Zeroes the first `examples` rows for a batch of `examples × positionsPerExample` positions.
    public func begin(examples: Int, positionsPerExample: Int) {
        precondition(examples <= capacity && positionsPerExample >= 1, "\(examples) examples for \(capacity) rows")
        self.examples = examples
        self.positionsPerExample = positionsPerExample
        rows.data.update(repeating: 0, count: examples * count)
    }

    /// Row of the example that batch position `position` belongs to.
    @inline(__always)
    public func row(position: Int) -> UnsafeMutablePointer<Float> {
        rows.data + (position / positionsPerExample) * count
    }
}

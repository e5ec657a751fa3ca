import PhantomTensor

/// A learnable tensor together with the gradient that backward passes accumulate into.
public final class Parameter: @unchecked Sendable {
    /// The current value.
    public let value: Tensor
    /// d(loss)/d(value), summed over the batch; zeroed by the optimizer's caller between steps.
    public let gradient: Tensor
    /// When set, backward passes put each example's gradient in its own row here instead of
    /// summing the batch into ``gradient`` (see ``ExampleGradients``).
    public var exampleGradients: ExampleGradients?

    /// A parameter of the given shape, initialised to `values` (or zeros).
    public init(shape: [Int], values: [Float]? = nil) {
        value = values.map { Tensor(shape: shape, values: $0) } ?? Tensor(zeros: shape)
        gradient = Tensor(zeros: shape)
    }

    /// The shape of the value.
    public var shape: [Int] { value.shape }
}

/// A part of a model that owns parameters, directly or through child modules.
///
/// The names a module reports are the keys of diffusers' state dict
/// (`down_blocks.0.resnets.0.conv1.weight`), so loading and saving weights is a
/// walk over this tree with no mapping table.
public protocol Module: AnyObject {
    /// Calls `visit` with the full name and the parameter of every parameter this
    /// module owns, its children's included, each name prefixed by `prefix`.
    func visitParameters(prefix: String, _ visit: (String, Parameter) -> Void)
}

extension Module {
    /// Every parameter under its full dotted name, in a stable order.
    public var namedParameters: [(name: String, parameter: Parameter)] {
        var result: [(name: String, parameter: Parameter)] = []
        visitParameters(prefix: "") { result.append((name: $0, parameter: $1)) }
        return result
    }

    /// Sets every parameter's gradient to zero.
    public func zeroGradients() {
        visitParameters(prefix: "") { _, parameter in parameter.gradient.zero() }
    }
}

/// Joins a prefix and a name with a dot, as state-dict keys do.
@inline(__always)
public func join(_ prefix: String, _ name: String) -> String {
    prefix.isEmpty ? name : prefix + "." + name
}

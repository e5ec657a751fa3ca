import PhantomTensor

/// A linear map over the channels of every pixel of an NCHW batch — what
/// `torch.nn.Linear` does to the tokens of diffusers' attention — stored as
/// `weight` `[out, in]` and `bias` `[out]`. Computed as a 1×1 convolution.
public final class ChannelLinear: Module {
    private let convolution: Conv2d

    public init(inFeatures: Int, outFeatures: Int, workspace: Workspace = Workspace()) {
        convolution = Conv2d(inChannels: inFeatures, outChannels: outFeatures, kernel: 1, stride: 1,
                             pad: (0, 0, 0, 0), workspace: workspace, weightShape: [outFeatures, inFeatures])
    }

    public var weight: Parameter { convolution.weight }
    public var bias: Parameter { convolution.bias }

    public func visitParameters(prefix: String, _ visit: (String, Parameter) -> Void) {
        convolution.visitParameters(prefix: prefix, visit)
    }

    /// `x` `[B, in, H, W]` → `[B, out, H, W]`.
    public func forward(_ x: Tensor) -> Tensor { convolution.forward(x) }

    /// Accumulates the parameter gradients and returns `dL/dx`.
    public func backward(_ dy: Tensor) -> Tensor { convolution.backward(dy) }
}

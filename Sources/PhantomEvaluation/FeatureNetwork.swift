import PhantomLayers
import PhantomTensor

/// The domain feature network of `phantom evaluate`: a small CNN classifier trained on
/// the user's own scans, whose pooled last-stage activations are the embedding in which
/// Fréchet distance, precision/recall and density/coverage are measured (ImageNet
/// features rank medical generators inconsistently: Woodland et al. 2024).
///
/// Architecture, for a 1-channel `S × S` input (S a multiple of 8) and K classes:
///
///     stage s = 0…3:  conv 3×3 (pad 1) → GroupNorm(8) + SiLU → (s < 3: 2×2 average pool)
///                     channels 16, 32, 64, 64; sides S, S/2, S/4, S/8
///     features:       global average pool → [B, 64]
///     logits:         linear 64 → K
///
/// GroupNorm has no running statistics, so the network has no train/eval mode to get
/// wrong (the trap of lucidrains/denoising-diffusion-pytorch #234), and an image's
/// features do not depend on the other images of its batch.
public final class FeatureNetwork: Module {
    /// Channels of the four stages; the feature dimension is the last.
    public static let stageChannels = [16, 32, 64, 64]
    public static let groups = 8

    public let side: Int
    public let classNames: [String]
    public var featureDimension: Int { Self.stageChannels.last! }

    let convolutions: [Conv2d]
    let norms: [GroupNorm]
    let pools: [AveragePool2d]
    let globalPool = GlobalAveragePool()
    let head: Linear
    private let workspace = Workspace()

    // Activations of the last forward, kept for backward: conv outputs (pool-owned) and
    // normalised outputs.
    private var convOutputs: [Tensor] = []
    private var normOutputs: [Tensor?] = [nil, nil, nil, nil]

    /// A network for `side × side` images and the given classes, with PyTorch's default
    /// initialisation drawn from `seed`.
    ///
    /// - Precondition: `side` is a positive multiple of 8 and there are at least 2 classes.
    public init(side: Int, classNames: [String], seed: UInt64) {
        precondition(side > 0 && side % 8 == 0 && classNames.count >= 2, "FeatureNetwork(side: \(side), \(classNames.count) classes)")
        self.side = side
        self.classNames = classNames
        var inputs = 1
        var convolutions: [Conv2d] = [], norms: [GroupNorm] = []
        for channels in Self.stageChannels {
            convolutions.append(Conv2d(inChannels: inputs, outChannels: channels, kernel: 3, padding: 1, workspace: workspace))
            norms.append(GroupNorm(groups: Self.groups, channels: channels, appliesSiLU: true, workspace: workspace))
            inputs = channels
        }
        self.convolutions = convolutions
        self.norms = norms
        pools = (0..<3).map { _ in AveragePool2d() }
        head = Linear(inFeatures: inputs, outFeatures: classNames.count)
        initialize(seed: seed)
    }

    public func visitParameters(prefix: String, _ visit: (String, Parameter) -> Void) {
        for (index, (convolution, norm)) in zip(convolutions, norms).enumerated() {
            convolution.visitParameters(prefix: join(prefix, "stages.\(index).conv"), visit)
            norm.visitParameters(prefix: join(prefix, "stages.\(index).norm"), visit)
        }
        head.visitParameters(prefix: join(prefix, "head"), visit)
    }

    /// Weights and biases uniform in ±1/√fan_in (PyTorch's default), GroupNorm γ = 1, β = 0;
    /// parameter `k` draws from its own stream of `seed`.
    private func initialize(seed: UInt64) {
        let layers: [(weight: Parameter, bias: Parameter, fanIn: Int)] =
            convolutions.map { ($0.weight, $0.bias, $0.inChannels * $0.kernel * $0.kernel) }
            + [(head.weight, head.bias, head.inFeatures)]
        for (index, layer) in layers.enumerated() {
            let bound = 1 / Float(layer.fanIn).squareRoot()
            for (part, parameter) in [layer.weight, layer.bias].enumerated() {
                let value = parameter.value
                RandomStream(seed: seed, Self.randomPurpose, UInt32(index), UInt32(part)).fillUniform(value.data, count: value.count)
                for i in 0..<value.count { value.data[i] = (2 * value.data[i] - 1) * bound }
            }
        }
    }

    /// The first key word of the network's random streams ("FEAT").
    static let randomPurpose: UInt32 = 0x4645_4154

    /// Runs the network on `x` `[B, 1, side, side]` (values in [-1, 1]) and returns
    /// `(features [B, 64], logits [B, K])`, both owned by the network until the next forward.
    public func forward(_ x: Tensor) -> (features: Tensor, logits: Tensor) {
        precondition(x.shape.count == 4 && x.shape[1] == 1 && x.shape[2] == side && x.shape[3] == side,
                     "FeatureNetwork input \(x.shape) for side \(side)")
        for tensor in convOutputs { workspace.pool.give(tensor) }
        convOutputs.removeAll(keepingCapacity: true)
        var h = x
        for stage in 0..<4 {
            let convolved = convolutions[stage].forward(h)
            convOutputs.append(convolved)
            let normed = Tensor.reusing(normOutputs[stage], shape: convolved.shape)
            normOutputs[stage] = normed
            norms[stage].forward(convolved, into: normed)
            h = stage < 3 ? pools[stage].forward(normed) : normed
        }
        let features = globalPool.forward(h)
        return (features, head.forward(features))
    }

    /// Given `dL/dlogits` `[B, K]` of the last forward, accumulates every parameter's gradient.
    public func backward(_ dLogits: Tensor) {
        var gradient = globalPool.backward(head.backward(dLogits))
        for stage in stride(from: 3, through: 0, by: -1) {
            // GroupNorm overwrites its argument with dL/dx: the pooling layers' own buffers.
            let dConvolved = norms[stage].backward(gradient)
            let dInput = convolutions[stage].backward(dConvolved)
            if stage > 0 { gradient = pools[stage - 1].backward(dInput) }
            workspace.pool.give(dInput)
        }
    }
}

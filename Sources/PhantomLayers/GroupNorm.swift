import Foundation
import PhantomTensor

/// Group normalisation over NCHW batches (Wu & He 2018), with a per-channel affine
/// `weight` (γ) and `bias` (β), as `torch.nn.GroupNorm`, optionally followed by SiLU
/// (`silu(norm(x))`, as every normalisation of the U-Net but attention's). Statistics
/// are taken per image and group in Double; the variance is the biased one.
///
/// The layer keeps only its input and statistics: its output can be rebuilt
/// exactly by ``recompute(into:)``, so the layer that reads it need not keep it.
public final class GroupNorm: Module {
    public let groups: Int, channels: Int
    public let epsilon: Float
    /// Whether SiLU is applied to the normalised values.
    public let appliesSiLU: Bool
    public let weight: Parameter
    public let bias: Parameter
    private let workspace: Workspace

    private var input: Tensor?
    /// Mean and 1/σ of each (image, group), from the last forward.
    private var mean: [Float] = []
    private var inverseDeviation: [Float] = []

    /// `channels` must be divisible by `groups`. γ starts at 1, β at 0.
    public init(groups: Int, channels: Int, epsilon: Float = 1e-5, appliesSiLU: Bool = false,
                workspace: Workspace = Workspace()) {
        precondition(groups > 0 && channels % groups == 0, "GroupNorm: \(channels) channels in \(groups) groups")
        self.groups = groups
        self.channels = channels
        self.epsilon = epsilon
        self.appliesSiLU = appliesSiLU
        self.workspace = workspace
        weight = Parameter(shape: [channels], values: [Float](repeating: 1, count: channels))
        bias = Parameter(shape: [channels])
    }

    public func visitParameters(prefix: String, _ visit: (String, Parameter) -> Void) {
        visit(join(prefix, "weight"), weight)
        visit(join(prefix, "bias"), bias)
    }

    private func computeForward(_ x: Tensor, into y: Tensor) -> Tensor {
        precondition(x.shape.count >= 2 && x.shape[1] == channels, "GroupNorm input \(x.shape)")
        precondition(y.shape == x.shape, "GroupNorm output \(y.shape) for input \(x.shape)")
        let batch = x.shape[0], pixels = x.count / (batch * channels)
        input = x
        if mean.count != batch * groups {
            mean = [Float](repeating: 0, count: batch * groups)
            inverseDeviation = mean
        }
        let perGroup = channels / groups, groupSize = perGroup * pixels
        let xData = x.data, yData = y.data, gamma = weight.value.data, beta = bias.value.data
        let eps = Double(epsilon)
        mean.withUnsafeMutableBufferPointer { meanBuffer in
            inverseDeviation.withUnsafeMutableBufferPointer { deviationBuffer in
                let means = meanBuffer.baseAddress!, deviations = deviationBuffer.baseAddress!
                Parallel.forEach(batch) { image, _ in
                    for group in 0..<groups {
                        let start = (image * channels + group * perGroup) * pixels
                        let source = xData + start
                        let mu = LaneSums.sumInDouble(source, count: groupSize) / Double(groupSize)
                        let squares = LaneSums.squaredDeviationsInDouble(source, count: groupSize, mean: mu)
                        let inverse = 1 / (squares / Double(groupSize) + eps).squareRoot()
                        let m = Float(mu), r = Float(inverse)
                        means[image * groups + group] = m
                        deviations[image * groups + group] = r
                        normalize(source, into: yData + start, group: group, mean: m, inverseDeviation: r,
                                  pixels: pixels, gamma: gamma, beta: beta)
                    }
                }
            }
        }
        return y
    }

    /// Writes one group's output, `γ(x − μ)/σ + β` (then SiLU), from its statistics.
    @inline(__always)
    private func normalize(_ source: UnsafePointer<Float>, into target: UnsafeMutablePointer<Float>, group: Int,
                           mean m: Float, inverseDeviation r: Float, pixels: Int,
                           gamma: UnsafePointer<Float>, beta: UnsafePointer<Float>) {
        let perGroup = channels / groups
        for c in 0..<perGroup {
            let channel = group * perGroup + c
            let scale = gamma[channel] * r, shift = beta[channel] - m * scale
            let line = source + c * pixels, out = target + c * pixels
            if appliesSiLU {
                affineSiLU(line, scale: scale, shift: shift, into: out, count: pixels)
            } else {
                for p in 0..<pixels { out[p] = line[p] * scale + shift }
            }
        }
    }

    private func computeRecompute(into y: Tensor) {
        guard let x = input else { preconditionFailure("GroupNorm.recompute before forward") }
        precondition(y.shape == x.shape, "GroupNorm output \(y.shape) for input \(x.shape)")
        let batch = x.shape[0], pixels = x.count / (batch * channels)
        let groupSize = channels / groups * pixels
        let xData = x.data, yData = y.data, gamma = weight.value.data, beta = bias.value.data
        mean.withUnsafeBufferPointer { meanBuffer in
            inverseDeviation.withUnsafeBufferPointer { deviationBuffer in
                let means = meanBuffer.baseAddress!, deviations = deviationBuffer.baseAddress!
                Parallel.forEach(batch) { image, _ in
                    for group in 0..<groups {
                        let start = (image * groups + group) * groupSize
                        normalize(xData + start, into: yData + start, group: group,
                                  mean: means[image * groups + group], inverseDeviation: deviations[image * groups + group],
                                  pixels: pixels, gamma: gamma, beta: beta)
                    }
                }
            }
        }
    }

    private func computeBackward(_ dy: Tensor) -> Tensor {
        guard let x = input else { preconditionFailure("GroupNorm.backward before forward") }
        precondition(dy.shape == x.shape, "GroupNorm gradient \(dy.shape) for input \(x.shape)")
        let batch = x.shape[0], pixels = x.count / (batch * channels)
        let perGroup = channels / groups, groupSize = Float(perGroup * pixels)
        let slotStride = 2 * channels
        let slots = workspace.shared(slot: Workspace.imageGradientSlot, count: batch * slotStride)
        let xData = x.data, dyData = dy.data, dxData = dy.data, gamma = weight.value.data
        let beta = bias.value.data, silu = appliesSiLU
        mean.withUnsafeBufferPointer { meanBuffer in
            inverseDeviation.withUnsafeBufferPointer { deviationBuffer in
                let means = meanBuffer.baseAddress!, deviations = deviationBuffer.baseAddress!
                Parallel.forEach(batch) { image, _ in
                    let slot = slots + image * slotStride
                    for group in 0..<groups {
                        let m = means[image * groups + group], r = deviations[image * groups + group]
                        // Σ dy·γ and Σ dy·γ·x̂ over the group.
                        var sumGrad: Float = 0, sumGradNormalized: Float = 0
                        for c in 0..<perGroup {
                            let channel = group * perGroup + c
                            let offset = (image * channels + channel) * pixels
                            let line = xData + offset, gradLine = dyData + offset
                            if silu {
                                // dL/d(norm) = dL/dy · σ(v)(1 + v(1 − σ(v))), v rebuilt as in forward.
                                let scale = gamma[channel] * r, shift = beta[channel] - m * scale
                                multiplyBySiLUDerivative(gradLine, source: line, scale: scale, shift: shift, count: pixels)
                            }
                            let sumDy = LaneSums.sum(gradLine, count: pixels)
                            let sumDyNormalized = r * LaneSums.dot(gradLine, line, centeredAt: m, count: pixels)
                            slot[channel] = sumDyNormalized
                            slot[channels + channel] = sumDy
                            sumGrad += sumDy * gamma[channel]
                            sumGradNormalized += sumDyNormalized * gamma[channel]
                        }
                        let meanGrad = sumGrad / groupSize, meanGradNormalized = sumGradNormalized / groupSize
                        for c in 0..<perGroup {
                            let channel = group * perGroup + c
                            let offset = (image * channels + channel) * pixels
                            let line = xData + offset, gradLine = dyData + offset, target = dxData + offset
                            let g = gamma[channel]
                            for p in 0..<pixels {
                                let normalized = (line[p] - m) * r
                                target[p] = r * (gradLine[p] * g - meanGrad - normalized * meanGradNormalized)
                            }
                        }
                    }
                }
            }
        }
        accumulateImageGradients(slots, stride: slotStride, images: batch, into: weight)
        accumulateImageGradients(slots + channels, stride: slotStride, images: batch, into: bias)
        return dy
    }
}

extension GroupNorm {
    /// Normalises `x` `[B, C, H, W]` (or `[B, C, L]`) per image and group into `y`
    /// (same shape) and returns `y`. Keeps `x` for ``recompute(into:)`` and backward.
    @discardableResult
    public func forward(_ x: Tensor, into y: Tensor) -> Tensor {
        Profiler.measure(.groupNorm) { computeForward(x, into: y) }
    }
    /// Writes the last forward's output again into `y`, bit for bit.
    public func recompute(into y: Tensor) {
        Profiler.measure(.groupNorm) { computeRecompute(into: y) }
    }
    /// Given `dL/dy`, accumulates `dL/dγ`, `dL/dβ` and overwrites `dy` with `dL/dx`,
    /// which it returns.
    @discardableResult
    public func backward(_ dy: Tensor) -> Tensor {
        Profiler.measure(.groupNorm) { workspace.withScratch { computeBackward(dy) } }
    }
}

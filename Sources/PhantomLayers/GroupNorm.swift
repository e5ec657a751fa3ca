import Foundation
import PhantomTensor

/// Group normalisation over NCHW batches (Wu & He 2018), with a per-channel affine
/// `weight` (γ) and `bias` (β), as `torch.nn.GroupNorm`. Statistics are taken per
/// image and group in Double; the variance is the biased one.
public final class GroupNorm: Module {
    public let groups: Int, channels: Int
    public let epsilon: Float
    public let weight: Parameter
    public let bias: Parameter
    private let workspace: Workspace

    private var input: Tensor?
    private var output: Tensor?
    private var inputGradient: Tensor?
    /// Mean and 1/σ of each (image, group), from the last forward.
    private var mean: [Float] = []
    private var inverseDeviation: [Float] = []

    /// `channels` must be divisible by `groups`. γ starts at 1, β at 0.
    public init(groups: Int, channels: Int, epsilon: Float = 1e-5, workspace: Workspace = Workspace()) {
        precondition(groups > 0 && channels % groups == 0, "GroupNorm: \(channels) channels in \(groups) groups")
        self.groups = groups
        self.channels = channels
        self.epsilon = epsilon
        self.workspace = workspace
        weight = Parameter(shape: [channels], values: [Float](repeating: 1, count: channels))
        bias = Parameter(shape: [channels])
    }

    public func visitParameters(prefix: String, _ visit: (String, Parameter) -> Void) {
        visit(join(prefix, "weight"), weight)
        visit(join(prefix, "bias"), bias)
    }

    private func computeForward(_ x: Tensor) -> Tensor {
        precondition(x.shape.count >= 2 && x.shape[1] == channels, "GroupNorm input \(x.shape)")
        let batch = x.shape[0], pixels = x.count / (batch * channels)
        let y = Tensor.reusing(output, shape: x.shape)
        output = y
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
                        var sum = 0.0
                        for i in 0..<groupSize { sum += Double(source[i]) }
                        let mu = sum / Double(groupSize)
                        var squares = 0.0
                        for i in 0..<groupSize {
                            let d = Double(source[i]) - mu
                            squares += d * d
                        }
                        let inverse = 1 / (squares / Double(groupSize) + eps).squareRoot()
                        let m = Float(mu), r = Float(inverse)
                        means[image * groups + group] = m
                        deviations[image * groups + group] = r
                        for c in 0..<perGroup {
                            let channel = group * perGroup + c
                            let scale = gamma[channel] * r, shift = beta[channel] - m * scale
                            let line = source + c * pixels, target = yData + start + c * pixels
                            for p in 0..<pixels { target[p] = line[p] * scale + shift }
                        }
                    }
                }
            }
        }
        return y
    }

    private func computeBackward(_ dy: Tensor) -> Tensor {
        guard let x = input else { preconditionFailure("GroupNorm.backward before forward") }
        let batch = x.shape[0], pixels = x.count / (batch * channels)
        let dx = Tensor.reusing(inputGradient, shape: x.shape)
        inputGradient = dx
        let perGroup = channels / groups, groupSize = Float(perGroup * pixels)
        let slotStride = 2 * channels
        let slots = workspace.shared(slot: Workspace.imageGradientSlot, count: batch * slotStride)
        let xData = x.data, dyData = dy.data, dxData = dx.data, gamma = weight.value.data
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
                            var sumDy: Float = 0, sumDyNormalized: Float = 0
                            for p in 0..<pixels {
                                let normalized = (line[p] - m) * r
                                sumDy += gradLine[p]
                                sumDyNormalized += gradLine[p] * normalized
                            }
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
        accumulateImageGradients(slots, stride: slotStride, images: batch, count: channels,
                                 into: weight.gradient.data)
        accumulateImageGradients(slots + channels, stride: slotStride, images: batch, count: channels,
                                 into: bias.gradient.data)
        return dx
    }
}

extension GroupNorm {
    /// Normalises `x` `[B, C, H, W]` (or `[B, C, L]`) per image and group.
    public func forward(_ x: Tensor) -> Tensor {
        Profiler.measure(.groupNorm) { computeForward(x) }
    }
    /// Given `dL/dy`, accumulates `dL/dγ`, `dL/dβ` and returns `dL/dx`.
    public func backward(_ dy: Tensor) -> Tensor {
        Profiler.measure(.groupNorm) { computeBackward(dy) }
    }
}

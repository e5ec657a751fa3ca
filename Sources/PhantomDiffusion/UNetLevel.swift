import PhantomLayers
import PhantomTensor

/// What every block of one U-Net shares when it is built.
struct BlockContext {
    let timeChannels: Int
    let groups: Int
    let epsilon: Float
    let dropout: Float
    let workspace: Workspace
    /// Hands out the dropout layer numbers in construction order.
    var nextDropoutLayer = 0

    mutating func resnet(_ inChannels: Int, _ outChannels: Int, outputScale: Float = 1) -> ResnetBlock {
        defer { nextDropoutLayer += 1 }
        return ResnetBlock(inChannels: inChannels, outChannels: outChannels, timeChannels: timeChannels,
                           groups: groups, epsilon: epsilon, dropout: dropout, outputScale: outputScale,
                           dropoutLayer: nextDropoutLayer, workspace: workspace)
    }

    func attention(_ channels: Int, headDim: Int?, groups: Int? = nil, rescale: Float = 1) -> SelfAttention {
        SelfAttention(channels: channels, heads: headDim.map { channels / $0 } ?? 1, groups: groups ?? self.groups,
                      epsilon: epsilon, rescale: rescale, workspace: workspace)
    }
}

/// Adds `source` into `target` element-wise (gradients meeting at a fork).
@inline(__always)
func accumulate(_ source: Tensor, into target: Tensor) {
    precondition(source.count == target.count, "gradient shapes \(source.shape) and \(target.shape)")
    for i in 0..<target.count { target.data[i] += source.data[i] }
}

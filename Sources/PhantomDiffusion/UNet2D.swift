import PhantomLayers
import PhantomTensor

/// A U-Net equal in structure, parameter names and arithmetic to diffusers'
/// `UNet2DModel` for the configurations ``UNetConfig`` accepts, with a hand-written
/// backward pass for training.
///
/// Layers keep their activations between `forward` and `backward`; buffers are
/// allocated on the first pass of each batch shape and reused after that.
public final class UNet2D: Module {
    public let config: UNetConfig
    let workspace = Workspace()
    let timeEmbedding: TimeEmbedding
    let classEmbedding: Embedding?
    let timeActivation = SiLU()
    let convIn: Conv2d
    let downBlocks: [DownBlock]
    let midBlock: MidBlock?
    let upBlocks: [UpBlock]
    let normOut: GroupNorm
    let activationOut = SiLU()
    let convOut: Conv2d

    private var centered: Tensor?
    private var embedding: Tensor?
    private var timeGradient: Tensor?
    private var sampleGradient: Tensor?
    private var skipCounts: [Int] = []

    /// Builds the network for `config` with every parameter zero (load or initialise weights next).
    public init(config: UNetConfig) {
        self.config = config
        let channels = config.blockOutChannels
        let timeChannels = config.timeEmbeddingWidth
        var context = BlockContext(timeChannels: timeChannels, groups: config.normNumGroups,
                                   epsilon: Float(config.normEps), dropout: Float(config.dropout),
                                   workspace: workspace)
        timeEmbedding = TimeEmbedding(featureChannels: channels[0], timeChannels: timeChannels,
                                      flipSinToCos: config.flipSinToCos, frequencyShift: config.freqShift)
        classEmbedding = config.numClassEmbeds.map { Embedding(count: $0, dimension: timeChannels) }
        convIn = Conv2d(inChannels: config.inChannels, outChannels: channels[0], kernel: 3, padding: 1,
                        workspace: workspace)

        var skipChannels = [channels[0]]
        var down: [DownBlock] = []
        var output = channels[0]
        for (index, kind) in config.downBlockTypes.enumerated() {
            let input = output
            output = channels[index]
            let isLast = index == channels.count - 1
            down.append(DownBlock(inChannels: input, outChannels: output, layers: config.layersPerBlock,
                                  attention: kind == .attention, headDim: config.attentionHeadDim,
                                  downsample: !isLast, padding: config.downsamplePadding, context: &context))
            skipChannels += Array(repeating: output, count: config.layersPerBlock + (isLast ? 0 : 1))
        }
        downBlocks = down
        midBlock = config.hasMidBlock
            ? MidBlock(channels: channels.last!, headDim: config.attentionHeadDim,
                       attentionGroups: config.attnNormNumGroups, addAttention: config.addAttention,
                       scale: Float(config.midBlockScaleFactor), context: &context)
            : nil

        var up: [UpBlock] = []
        let reversed = Array(channels.reversed())
        output = reversed[0]
        for (index, kind) in config.upBlockTypes.enumerated() {
            let previous = output
            output = reversed[index]
            let consumed = config.layersPerBlock + 1
            let skips = (0..<consumed).map { _ in skipChannels.removeLast() }
            up.append(UpBlock(previousChannels: previous, outChannels: output, skipChannels: skips,
                              attention: kind == .attention, headDim: config.attentionHeadDim,
                              upsample: index != channels.count - 1, context: &context))
        }
        upBlocks = up
        normOut = GroupNorm(groups: config.normNumGroups, channels: channels[0], epsilon: Float(config.normEps),
                            workspace: workspace)
        convOut = Conv2d(inChannels: channels[0], outChannels: config.outChannels, kernel: 3, padding: 1,
                         workspace: workspace)
    }

    public func visitParameters(prefix: String, _ visit: (String, Parameter) -> Void) {
        convIn.visitParameters(prefix: join(prefix, "conv_in"), visit)
        timeEmbedding.visitParameters(prefix: join(prefix, "time_embedding"), visit)
        classEmbedding?.visitParameters(prefix: join(prefix, "class_embedding"), visit)
        for (index, block) in downBlocks.enumerated() {
            block.visitParameters(prefix: join(prefix, "down_blocks.\(index)"), visit)
        }
        midBlock?.visitParameters(prefix: join(prefix, "mid_block"), visit)
        for (index, block) in upBlocks.enumerated() {
            block.visitParameters(prefix: join(prefix, "up_blocks.\(index)"), visit)
        }
        normOut.visitParameters(prefix: join(prefix, "conv_norm_out"), visit)
        convOut.visitParameters(prefix: join(prefix, "conv_out"), visit)
    }

    /// Sets how every convolution that supports `algorithm` computes (the default is
    /// ``Conv2d/Algorithm/automatic``); for comparisons, benchmarks and tests.
    public func setConvolutionAlgorithm(_ algorithm: Conv2d.Algorithm) {
        var convolutions = [convIn, convOut]
        for block in downBlocks { block.visitConvolutions { convolutions.append($0) } }
        midBlock?.visitConvolutions { convolutions.append($0) }
        for block in upBlocks { block.visitConvolutions { convolutions.append($0) } }
        let needsWinograd = algorithm == .winogradF2 || algorithm == .winogradF4
        for conv in convolutions where !needsWinograd || conv.supportsWinograd { conv.algorithm = algorithm }
    }

    /// Predicts the model output for `sample` `[B, in, H, W]` at `timesteps` (one per
    /// image). `classLabels` is required exactly when the model is class-conditional.
    /// `dropoutKey` turns dropout on (training); nil means evaluation.
    public func forward(_ sample: Tensor, timesteps: [Float], classLabels: [Int]? = nil,
                        dropoutKey: DropoutKey? = nil) -> Tensor {
        let batch = sample.shape[0]
        precondition(sample.shape.count == 4 && sample.shape[1] == config.inChannels, "sample shape \(sample.shape)")
        precondition(timesteps.count == batch, "\(timesteps.count) timesteps for \(batch) images")
        precondition(sample.shape[2] % config.downsamplingFactor == 0 && sample.shape[3] % config.downsamplingFactor == 0,
                     "sample size \(sample.shape[2])x\(sample.shape[3]) is not a multiple of \(config.downsamplingFactor)")
        precondition((classLabels != nil) == (classEmbedding != nil), "class labels must match the model")

        var x = sample
        if config.centerInputSample {
            let c = Tensor.reusing(centered, shape: sample.shape)
            centered = c
            for i in 0..<c.count { c.data[i] = 2 * sample.data[i] - 1 }
            x = c
        }
        let emb = Tensor.reusing(embedding, shape: [batch, config.timeEmbeddingWidth])
        embedding = emb
        emb.copy(from: timeEmbedding.forward(timesteps))
        if let classEmbedding, let classLabels {
            accumulate(classEmbedding.forward(classLabels), into: emb)
        }
        let time = timeActivation.forward(emb)

        var h = convIn.forward(x)
        var states = [h]
        for block in downBlocks {
            let outputs = block.forward(h, time: time, dropoutKey: dropoutKey)
            states += outputs
            h = outputs.last!
        }
        if let midBlock { h = midBlock.forward(h, time: time, dropoutKey: dropoutKey) }
        for block in upBlocks {
            let count = block.resnets.count
            let skips = Array(states.suffix(count).reversed())
            states.removeLast(count)
            h = block.forward(h, skips: skips, time: time, dropoutKey: dropoutKey)
        }
        return convOut.forward(activationOut.forward(normOut.forward(h)))
    }

    /// Backpropagates `dL/doutput` from the last `forward`, accumulating every
    /// parameter's gradient, and returns `dL/dsample`.
    @discardableResult
    public func backward(_ dOutput: Tensor) -> Tensor {
        let batch = dOutput.shape[0]
        let dTime = Tensor.reusing(timeGradient, shape: [batch, config.timeEmbeddingWidth])
        timeGradient = dTime
        dTime.zero()

        var g = normOut.backward(activationOut.backward(convOut.backward(dOutput)))
        // Skip gradients, indexed like the forward's list of states.
        var stateGradients: [Tensor] = []
        for block in upBlocks.reversed() {
            let (dh, dSkips) = block.backward(g, timeGradient: dTime)
            // dSkips[j] belongs to the state consumed j-th, counted from the end.
            stateGradients += dSkips.reversed()
            g = dh
        }
        // stateGradients was filled from the first state (consumed last) to the last.
        if let midBlock { g = midBlock.backward(g, timeGradient: dTime) }
        var end = stateGradients.count
        for block in downBlocks.reversed() {
            let start = end - block.outputCount
            let gradients = Array(stateGradients[start..<end])
            accumulate(g, into: gradients.last!)
            g = block.backward(gradients, timeGradient: dTime)
            end = start
        }
        accumulate(stateGradients[0], into: g)
        let dx = convIn.backward(g)

        let dEmbedding = timeActivation.backward(dTime)
        timeEmbedding.backward(dEmbedding)
        classEmbedding?.backward(dEmbedding)

        guard config.centerInputSample else { return dx }
        let dSample = Tensor.reusing(sampleGradient, shape: dx.shape)
        sampleGradient = dSample
        for i in 0..<dx.count { dSample.data[i] = 2 * dx.data[i] }
        return dSample
    }
}

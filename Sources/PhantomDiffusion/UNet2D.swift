import PhantomLayers
import PhantomTensor

/// A U-Net equal in structure, parameter names and arithmetic to diffusers'
/// `UNet2DModel` for the configurations ``UNetConfig`` accepts, with a hand-written
/// backward pass for training.
///
/// A forward pass that will be followed by `backward` keeps what backward needs;
/// one that will not (sampling) keeps nothing, and each activation goes back to the
/// workspace's pool as soon as its consumers have read it. Activations and
/// gradients are taken from that pool, which allocates on the first pass of each
/// batch shape and reuses its buffers after that.
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
    /// `silu(conv_norm_out(·))`.
    let normOut: GroupNorm
    let convOut: Conv2d

    private var centered: Tensor?
    private var embedding: Tensor?
    private var timeGradient: Tensor?
    private var sampleGradient: Tensor?
    /// The down path's outputs (skip connections), kept for backward.
    private var states: [Tensor] = []
    /// The up path's output (conv_norm_out's input) and conv_out's input tensor.
    private var finalHidden: Tensor?, outputInput: Tensor?
    /// The last forward's result and backward's `dL/dsample`, valid until the next forward.
    private var results: [Tensor] = []
    /// The most images ``predict(_:timesteps:classLabels:)`` and a training pass
    /// (``trainingPass(_:timesteps:classLabels:dropoutKey:imagesPerPass:outputGradient:)``) send
    /// through the network at once; at least 1. The default bounds a pass's memory
    /// (``defaultImagesPerPass(_:)``).
    public var imagesPerPass: Int {
        didSet { imagesPerPass = max(1, imagesPerPass) }
    }
    /// ``predict(_:timesteps:classLabels:)``'s result when it took more than one pass.
    var predicted: Tensor?

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
                            appliesSiLU: true, workspace: workspace)
        convOut = Conv2d(inChannels: channels[0], outChannels: config.outChannels, kernel: 3, padding: 1,
                         workspace: workspace)
        imagesPerPass = Self.defaultImagesPerPass(config)
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

    /// Bytes the model holds beside its parameters: pooled activations and gradients (all the
    /// pool's buffers, and the most of them lent at once), and scratch (for memory reports).
    public var workingBytes: (pool: Int, poolPeakLent: Int, scratch: Int) {
        (workspace.pool.allocatedBytes, workspace.pool.peakLentBytes, workspace.scratchBytes)
    }

    /// Sets how every convolution that supports `algorithm` computes (the default is
    /// ``Conv2d/Algorithm/automatic``); for comparisons, benchmarks and tests.
    public func setConvolutionAlgorithm(_ algorithm: Conv2d.Algorithm) {
        let needsWinograd = algorithm == .winogradF2 || algorithm == .winogradF4
        for conv in convolutions where !needsWinograd || conv.supportsWinograd { conv.algorithm = algorithm }
    }

    /// Every convolution of the network.
    private var convolutions: [Conv2d] {
        var convolutions = [convIn, convOut]
        for block in downBlocks { block.visitConvolutions { convolutions.append($0) } }
        midBlock?.visitConvolutions { convolutions.append($0) }
        for block in upBlocks { block.visitConvolutions { convolutions.append($0) } }
        return convolutions
    }

    /// Predicts the model output for `sample` `[B, in, H, W]` at `timesteps` (one per
    /// image). `classLabels` is required exactly when the model is class-conditional.
    /// `dropoutKey` turns dropout on (training); nil means evaluation. Without
    /// `keepForBackward` the pass keeps no activations and `backward` must not follow.
    /// The result is valid until the next `forward`.
    ///
    /// The stages, as in diffusers' `UNet2DModel.forward` (C₀ = `block_out_channels[0]`,
    /// T = the time-embedding width, `L` levels, each down level but the last halving H, W):
    /// 1. centre the input (`2x − 1`) if configured;
    /// 2. time (and class) embedding: `emb` `[B, T]`, `time = silu(emb)`;
    /// 3. `conv_in`: `[B, in, H, W]` → `[B, C₀, H, W]`, the first skip state;
    /// 4. down path: each level's resnets (and attentions) and its downsampler append
    ///    their outputs to the skip states;
    /// 5. mid block (resnet, attention, resnet) at the lowest resolution;
    /// 6. up path: each level consumes its resnets' count of skip states from the end,
    ///    concatenating each to `h` along channels, and upsamples but at the last level;
    /// 7. `conv_norm_out` + SiLU, then `conv_out`: `[B, C₀, H, W]` → `[B, out, H, W]`.
    public func forward(_ sample: Tensor, timesteps: [Float], classLabels: [Int]? = nil,
                        dropoutKey: DropoutKey? = nil, keepForBackward: Bool = true) -> Tensor {
        releaseStep()
        let batch = sample.shape[0]
        precondition(sample.shape.count == 4 && sample.shape[1] == config.inChannels, "sample shape \(sample.shape)")
        precondition(timesteps.count == batch, "\(timesteps.count) timesteps for \(batch) images")
        precondition(sample.shape[2] % config.downsamplingFactor == 0 && sample.shape[3] % config.downsamplingFactor == 0,
                     "sample size \(sample.shape[2])x\(sample.shape[3]) is not a multiple of \(config.downsamplingFactor)")
        precondition((classLabels != nil) == (classEmbedding != nil), "class labels must match the model")

        // 1. Centre the input.
        var x = sample
        if config.centerInputSample {
            let c = Tensor.reusing(centered, shape: sample.shape)
            centered = c
            for i in 0..<c.count { c.data[i] = 2 * sample.data[i] - 1 }
            x = c
        }
        // 2. Embeddings: emb [B, T] = time_embedding(timesteps) (+ class_embedding(labels)); time = silu(emb).
        let emb = Tensor.reusing(embedding, shape: [batch, config.timeEmbeddingWidth])
        embedding = emb
        emb.copy(from: timeEmbedding.forward(timesteps))
        if let classEmbedding, let classLabels {
            accumulate(classEmbedding.forward(classLabels), into: emb)
        }
        let time = timeActivation.forward(emb)

        // 3. conv_in: [B, in, H, W] -> [B, C0, H, W], the first skip state.
        let pool = workspace.pool
        var h = convIn.forward(x, keepForBackward: keepForBackward)
        states = [h]
        // 4. Down path: every resnet output and downsampler output is a skip state.
        for block in downBlocks {
            let outputs = block.forward(h, time: time, dropoutKey: dropoutKey, keepForBackward: keepForBackward)
            states += outputs
            h = outputs.last!
        }
        // Whether h is a block's own output rather than one of the skip states.
        var owned = false
        // 5. Mid block.
        if let midBlock {
            h = midBlock.forward(h, time: time, dropoutKey: dropoutKey, keepForBackward: keepForBackward)
            owned = true
        }
        // 6. Up path: each resnet takes the last unconsumed skip state (a stack, last in, first out).
        var unconsumed = states[...]
        for block in upBlocks {
            let count = block.resnets.count
            let skips = Array(unconsumed.suffix(count).reversed())
            unconsumed.removeLast(count)
            let next = block.forward(h, skips: skips, time: time, dropoutKey: dropoutKey, keepForBackward: keepForBackward)
            if owned { pool.give(h) }
            if !keepForBackward { for skip in skips { pool.give(skip) } }
            h = next
            owned = true
        }
        // 7. conv_norm_out + SiLU, conv_out: [B, C0, H, W] -> [B, out, H, W].
        let activated = normOut.forward(h, into: workspace.recomputed(h.shape))
        if keepForBackward {
            (finalHidden, outputInput) = (h, activated)
        } else {
            pool.give(h)
            states = []
        }
        let output = convOut.forward(activated, keepForBackward: keepForBackward)
        results.append(output)
        return output
    }

    /// Gives back what the last step kept: its activations and its results.
    private func releaseStep() {
        for tensor in states + results + [finalHidden].compactMap({ $0 }) { workspace.pool.give(tensor) }
        states = []
        results.removeAll(keepingCapacity: true)
        (finalHidden, outputInput) = (nil, nil)
    }

    /// Backpropagates `dL/doutput` from the last `forward`, accumulating every
    /// parameter's gradient, and returns `dL/dsample` (valid until the next `forward`;
    /// `dOutput` is only read).
    ///
    /// The forward's stages in reverse (7 → 1). The skip connections are the hard part: in
    /// the forward, `states` is a stack — the down path pushes every resnet and downsampler
    /// output, the up path pops one per resnet. A skip state's gradient therefore has two
    /// parts: what the up-path resnet that popped it sends back through the concatenation,
    /// and, for the last state of each down level, the gradient flowing down the main path
    /// into that level. Stage 6′ collects the first kind in pop order; stage 4′ walks the
    /// down levels from the last and adds the main-path gradient to its level's last state.
    @discardableResult
    public func backward(_ dOutput: Tensor) -> Tensor {
        guard let activated = outputInput else { preconditionFailure("UNet2D.backward without a forward that kept activations") }
        let pool = workspace.pool
        let batch = dOutput.shape[0]
        let dTime = Tensor.reusing(timeGradient, shape: [batch, config.timeEmbeddingWidth])
        timeGradient = dTime
        dTime.zero()

        // 7'. conv_out, then conv_norm_out + SiLU (its activation recomputed from the kept input).
        normOut.recompute(into: activated)
        var g = normOut.backward(convOut.backward(dOutput))
        // 6'. Up path, last level first. Skip gradients, indexed like the forward's list of states.
        var stateGradients: [Tensor] = []
        for block in upBlocks.reversed() {
            let (dh, dSkips) = block.backward(g, timeGradient: dTime)
            pool.give(g)
            // dSkips[j] belongs to the state consumed j-th, counted from the end.
            stateGradients += dSkips.reversed()
            g = dh
        }
        // stateGradients was filled from the first state (consumed last) to the last.
        // 5'. Mid block.
        if let midBlock {
            let next = midBlock.backward(g, timeGradient: dTime)
            pool.give(g)
            g = next
        }
        // 4'. Down path, last level first: the main-path gradient g joins the gradient of the
        // level's last output (its downsampler's, or its last resnet's), then flows into the level.
        var end = stateGradients.count
        for block in downBlocks.reversed() {
            let start = end - block.outputCount
            let gradients = Array(stateGradients[start..<end])
            accumulate(g, into: gradients.last!)
            pool.give(g)
            g = block.backward(gradients, timeGradient: dTime)
            for gradient in gradients { pool.give(gradient) }
            end = start
        }
        // 3'. conv_in's output was the first skip state too: add its gradient, then conv_in.
        accumulate(stateGradients[0], into: g)
        pool.give(stateGradients[0])
        let dx = convIn.backward(g)
        pool.give(g)
        for tensor in states + [finalHidden].compactMap({ $0 }) { pool.give(tensor) }
        states = []
        (finalHidden, outputInput) = (nil, nil)
        results.append(dx)

        // 2'. Embeddings: every resnet added its dL/d silu(emb) into dTime.
        let dEmbedding = timeActivation.backward(dTime)
        timeEmbedding.backward(dEmbedding)
        classEmbedding?.backward(dEmbedding)

        // 1'. Centring: d(2x − 1)/dx = 2.
        guard config.centerInputSample else { return dx }
        let dSample = Tensor.reusing(sampleGradient, shape: dx.shape)
        sampleGradient = dSample
        for i in 0..<dx.count { dSample.data[i] = 2 * dx.data[i] }
        return dSample
    }
}

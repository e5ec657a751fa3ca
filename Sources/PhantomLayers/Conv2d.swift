import PhantomTensor

/// A 2-D convolution over NCHW batches: with oneDNN, by its direct or Winograd convolution
/// (``OneDNNConvolution``); with OpenBLAS, by Winograd's F(m×m, 3×3) for 3×3 "same"
/// convolutions between wide layers, otherwise lowered to GEMM by im2col. One image per
/// piece of work (see ``Parallel``).
///
/// Parameters: `weight` `[out, in, k, k]` and `bias` `[out]`, as in PyTorch.
public final class Conv2d: Module {
    public let inChannels: Int, outChannels: Int, kernel: Int, stride: Int
    public let padTop: Int, padLeft: Int, padBottom: Int, padRight: Int
    public let weight: Parameter
    public let bias: Parameter
    private let workspace: Workspace

    /// How the convolution is computed.
    public enum Algorithm: Sendable {
        /// The fastest of the others for the shape and the GEMM library (see ``method(height:width:pass:backend:)``).
        case automatic
        /// oneDNN's direct convolution (``OneDNNConvolution``), one image per primitive: any kernel,
        /// stride and padding; im2col where oneDNN has no implementation.
        case direct
        /// oneDNN's Winograd convolution, one image per primitive: 3×3, stride 1, on AVX-512
        /// CPUs; its direct convolution where oneDNN has no Winograd one, im2col where it
        /// has neither.
        case oneDNNWinograd
        /// im2col and one GEMM per image: any kernel, stride and padding.
        case im2col
        /// Winograd F(2×2, 3×3) (``WinogradConvolution``): 3×3, stride 1, padding 1 only.
        case winogradF2
        /// Winograd F(4×4, 3×3): fewer products than F(2×2, 3×3), larger tiles.
        case winogradF4
    }

    /// The algorithm in use.
    public var algorithm: Algorithm = .automatic {
        didSet {
            precondition(algorithm == .automatic || algorithm == .im2col || algorithm == .direct || algorithm == .oneDNNWinograd
                            || supportsWinograd,
                         "Winograd needs a 3×3, stride-1, padding-1 conv")
        }
    }

    /// Which pass of a convolution a method is chosen for.
    enum Pass {
        /// A forward pass that a backward pass will follow (training).
        case forward
        /// A forward pass that no backward pass follows (sampling): it may use algorithms
        /// that have no backward (oneDNN's Winograd), whose kernel transform is kept from
        /// pass to pass while the weights do not change.
        case inference
        case backward
    }

    /// How a convolution is computed.
    enum Method {
        case im2col
        case oneDNN(OneDNNConvolution.Algorithm)
        case winograd(WinogradTiling)
    }

    /// How `height × width` images are convolved in `pass` with products by `backend`.
    ///
    /// ``Algorithm/automatic`` follows the per-shape measurements of `phantom-benchmark
    /// --config shapes` (2 cores, batch 8; `Benchmarks/README.md`, "Which convolution where (stop 33)"),
    /// which depend on the library computing the products:
    /// - With oneDNN, its direct convolution for every kernel wider than 1×1: with the
    ///   reorders to and from its blocked layouts it runs 1.1–2.4× faster than im2col and
    ///   `dnnl_sgemm` forward, and up to 2× backward but on the widest layers at 8×8 (32 → 32
    ///   at 32×32, batch 8: 0.60 against 0.79 ms forward, 1.08 against 1.96 backward). The
    ///   exceptions, where Winograd's saving of multiply-adds wins:
    ///   - where no backward follows (``Pass/inference``: sampling), oneDNN's own Winograd
    ///     forward, whose kernel transform is kept while the weights do not change: 0.43
    ///     against 0.60 ms at 32 → 32 on 32×32, 5.3 against 9.3 at 64 → 64 on 64×64. It
    ///     keeps a copy of each kernel and its transform (1.8–4× the kernel), so it is
    ///     used from 32 channels on layers of at most 2¹⁷ weights, and on any from 32×32:
    ///     all of `tiny`, the 64×64 and 32×32 levels of `small` (7.3 against 11.5 ms for
    ///     Phantom's F(4×4) at 256 → 128 on 32×32; `small` sampling 21.2 → 21.9 evals/s,
    ///     peak RSS 244 → 278 MiB). On the wide layers below 32×32 it bought no measurable
    ///     speed for 20–50 MiB more;
    ///   - in training on 64×64 images and up, from 32 channels, oneDNN's Winograd in both
    ///     passes (its backward per image on one core at 64 → 64: 0.99 against 1.78 ms for
    ///     dx, 0.99 against 1.90 for dW; `small` training 5.65–5.91 → 5.93–6.33 img/s). Its
    ///     backward scratchpad is 10–12 MiB per worker; scratch comes from the pool
    ///     (``Workspace``), so peak RSS rose by 17–19 MiB only;
    ///   - otherwise in training from 32×32, Phantom's F(4×4) in both passes between layers of
    ///     64 channels or more with at least 2¹³ channel pairs (256 → 128 at 32×32: 9.8
    ///     against 15.6 ms forward, 20.4 against 32.2 backward; 128 → 64 at 64×64: 13.3
    ///     against 16.7, 27.9 against 32.6; 64 → 64 at 64×64 runs alike both ways).
    ///
    ///   And one for memory: backward passes of layers with half a million weights or more
    ///   below 32×32 use F(2×2), since the direct backward keeps every image's kernel
    ///   gradient until the batch is summed (512 → 256 at 8×8: 19 MiB per 4 images, which
    ///   took `small` training's peak RSS past half the peers'; the two run alike there).
    /// - With OpenBLAS, F(4×4) is fastest from 32×32 images and 32 channels (a single
    ///   output channel, as `conv_out`, from 64×64); on smaller images F(2×2) pays once
    ///   channels × image side reach 1024 (64 channels at 16×16, 128 at 8×8); im2col
    ///   elsewhere, since Winograd's GEMMs have `K` = channels and its transformed kernels
    ///   grow with channels².
    ///
    /// 1×1 convolutions are one GEMM (im2col without columns). The choice does not depend
    /// on the batch size, so an image's result does not either.
    func method(height: Int, width: Int, pass: Pass = .forward, backend: GemmBackend = .current) -> Method {
        let side = min(height, width)
        switch algorithm {
        case .im2col: return .im2col
        case .direct: return kernel > 1 ? .oneDNN(.direct) : .im2col
        case .oneDNNWinograd:
            return supportsWinograd ? .oneDNN(.winograd) : kernel > 1 ? .oneDNN(.direct) : .im2col
        case .winogradF2: return .winograd(.f2)
        case .winogradF4: return .winograd(.f4)
        case .automatic where backend == .oneDNN:
            if supportsWinograd && pass == .inference && min(inChannels, outChannels) >= 32
                && (side >= 32 || inChannels * outChannels * 9 <= 1 << 17) {
                return .oneDNN(.winograd)
            }
            if supportsWinograd && side >= 64 && min(inChannels, outChannels) >= 32 { return .oneDNN(.winograd) }
            if supportsWinograd && side >= 32 && min(inChannels, outChannels) >= 64 && inChannels * outChannels >= 1 << 13 { return .winograd(.f4) }
            if supportsWinograd && pass == .backward && side < 32 && inChannels * outChannels * 9 >= 1 << 19 { return .winograd(.f2) }
            return kernel > 1 ? .oneDNN(.direct) : .im2col
        case .automatic:
            guard supportsWinograd && inChannels >= 32 && side >= 8 else { return .im2col }
            if side >= 32 && (outChannels >= 32 || side >= 64) { return .winograd(.f4) }
            return min(inChannels, outChannels) * side >= 1024 ? .winograd(.f2) : .im2col
        }
    }

    /// Whether the shape is one the Winograd algorithms compute: 3×3, stride 1, padding 1.
    public var supportsWinograd: Bool {
        kernel == 3 && stride == 1 && padTop == 1 && padLeft == 1 && padBottom == 1 && padRight == 1
    }

    private var input: Tensor?
    /// oneDNN's primitives per input size (nil where it has none).
    private var oneDNNPlans: [PlanKey: OneDNNConvolution?] = [:]
    private struct PlanKey: Hashable {
        let geometry: ConvGeometry, algorithm: OneDNNConvolution.Algorithm
    }

    /// oneDNN's primitives for `height × width` inputs by `algorithm`, made on first use;
    /// for Winograd, the direct ones where oneDNN has no Winograd primitive for the shape.
    private func oneDNNPlan(_ algorithm: OneDNNConvolution.Algorithm, height: Int, width: Int) -> OneDNNConvolution? {
        let key = PlanKey(geometry: geometry(height: height, width: width), algorithm: algorithm)
        if let plan = oneDNNPlans[key] { return plan }
        let plan = OneDNNConvolution(key.geometry, outChannels: outChannels, algorithm: algorithm)
            ?? (algorithm == .winograd ? oneDNNPlan(.direct, height: height, width: width) : nil)
        oneDNNPlans[key] = plan
        return plan
    }

    /// A convolution with the same `padding` on every side, or explicit
    /// `(top, left, bottom, right)` padding through ``init(inChannels:outChannels:kernel:stride:pad:)``.
    public convenience init(inChannels: Int, outChannels: Int, kernel: Int, stride: Int = 1, padding: Int = 0,
                            workspace: Workspace = Workspace()) {
        self.init(inChannels: inChannels, outChannels: outChannels, kernel: kernel, stride: stride,
                  pad: (padding, padding, padding, padding), workspace: workspace)
    }

    /// A convolution with padding `(top, left, bottom, right)`; scratch comes from `workspace`.
    public convenience init(inChannels: Int, outChannels: Int, kernel: Int, stride: Int,
                            pad: (top: Int, left: Int, bottom: Int, right: Int), workspace: Workspace = Workspace()) {
        self.init(inChannels: inChannels, outChannels: outChannels, kernel: kernel, stride: stride, pad: pad,
                  workspace: workspace, weightShape: [outChannels, inChannels, kernel, kernel])
    }

    /// A convolution whose weight is stored under `weightShape` (same element order),
    /// as ``ChannelLinear`` keeps a 1×1 convolution's weight as `[out, in]`.
    init(inChannels: Int, outChannels: Int, kernel: Int, stride: Int,
         pad: (top: Int, left: Int, bottom: Int, right: Int), workspace: Workspace, weightShape: [Int]) {
        precondition(weightShape.reduce(1, *) == outChannels * inChannels * kernel * kernel)
        self.workspace = workspace
        self.inChannels = inChannels
        self.outChannels = outChannels
        self.kernel = kernel
        self.stride = stride
        (padTop, padLeft, padBottom, padRight) = pad
        weight = Parameter(shape: weightShape)
        bias = Parameter(shape: [outChannels])
    }

    public func visitParameters(prefix: String, _ visit: (String, Parameter) -> Void) {
        visit(join(prefix, "weight"), weight)
        visit(join(prefix, "bias"), bias)
    }

    func geometry(height: Int, width: Int) -> ConvGeometry {
        ConvGeometry(channels: inChannels, height: height, width: width, kernel: kernel, stride: stride,
                     padTop: padTop, padLeft: padLeft, padBottom: padBottom, padRight: padRight)
    }

    private func computeForward(_ x: Tensor, pass: Pass) -> Tensor {
        precondition(x.shape.count == 4 && x.shape[1] == inChannels, "Conv2d input \(x.shape)")
        let batch = x.shape[0]
        let shape = geometry(height: x.shape[2], width: x.shape[3])
        // Pooled buffers hold stale values: every path below writes every element.
        let y = workspace.pool.take([batch, outChannels, shape.outHeight, shape.outWidth])
        input = x
        switch method(height: shape.height, width: shape.width, pass: pass) {
        case .winograd(let tiling):
            winograd(tiling, batch: batch, height: shape.height, width: shape.width)
                .forward(x.data, weights: weight.value.data, bias: bias.value.data, into: y.data)
            return y
        case .oneDNN(let algorithm):
            if let plan = oneDNNPlan(algorithm, height: shape.height, width: shape.width) {
                oneDNNForward(plan, x, into: y)
                return y
            }
        case .im2col: break
        }
        let pixels = shape.columnCount, rows = shape.columnRows
        let scratch = workspace.perWorker(slots: 1, counts: [shape.isPointwise ? 0 : rows * pixels])
        let w = weight.value.data, b = bias.value.data
        let xData = x.data, yData = y.data, inSize = inChannels * shape.height * shape.width
        Parallel.forEach(batch) { image, worker in
            let source = xData + image * inSize
            let target = yData + image * outChannels * pixels
            for channel in 0..<outChannels {
                (target + channel * pixels).update(repeating: b[channel], count: pixels)
            }
            var columns = UnsafePointer(source)
            if !shape.isPointwise {
                shape.im2col(source, into: scratch[worker, 0])
                columns = UnsafePointer(scratch[worker, 0])
            }
            gemm(m: outChannels, n: pixels, k: rows, a: w, lda: rows, b: columns, ldb: pixels,
                 beta: 1, c: target, ldc: pixels)
        }
        return y
    }

    private func computeBackward(_ dy: Tensor) -> Tensor {
        guard let x = input else { preconditionFailure("Conv2d.backward before forward") }
        let batch = x.shape[0]
        let shape = geometry(height: x.shape[2], width: x.shape[3])
        let dx = workspace.pool.take(x.shape)
        switch method(height: shape.height, width: shape.width, pass: .backward) {
        case .winograd(let tiling):
            winograd(tiling, batch: batch, height: shape.height, width: shape.width)
                .backward(x.data, dy.data, flippedWeights: flippedTransposedWeights(), weight: weight, bias: bias,
                          dx: dx.data)
            return dx
        case .oneDNN(let algorithm):
            if let plan = oneDNNPlan(algorithm, height: shape.height, width: shape.width),
               plan.prepareBackward(workers: Parallel.workerCount) {
                oneDNNBackward(plan, x, dy, dx: dx)
                return dx
            }
        case .im2col: break
        }
        let pixels = shape.columnCount, rows = shape.columnRows
        let weightCount = outChannels * rows, slotStride = weightCount + outChannels
        let slots = workspace.shared(slot: Workspace.imageGradientSlot, count: batch * slotStride)
        let columnCount = shape.isPointwise ? 0 : rows * pixels
        // A stride-1 convolution with "same" padding passes its gradient back as another
        // such convolution of dy with the flipped, transposed kernel: one GEMM as efficient
        // as the forward one, instead of a thin Wᵀ·dy GEMM and a col2im scatter.
        // (With one or a few input channels, as `conv_in`, the thin product is cheap and
        // avoids a column buffer of 9·out rows.)
        let transposed = stride == 1 && kernel % 2 == 1 && [padTop, padLeft, padBottom, padRight].allSatisfy { $0 == kernel / 2 }
            && !shape.isPointwise && inChannels >= 8
        let gradientShape = ConvGeometry(channels: outChannels, height: shape.height, width: shape.width, kernel: kernel,
                                         stride: 1, padTop: padTop, padLeft: padLeft, padBottom: padBottom, padRight: padRight)
        let scratch = workspace.perWorker(slots: 2, counts: [columnCount, transposed ? gradientShape.columnRows * pixels : columnCount])
        let w = weight.value.data
        let flipped = transposed ? flippedTransposedWeights() : w
        let xData = x.data, dyData = dy.data, dxData = dx.data
        let inSize = inChannels * shape.height * shape.width
        Parallel.forEach(batch) { image, worker in
            let source = xData + image * inSize
            let gradOut = dyData + image * outChannels * pixels
            let gradIn = dxData + image * inSize
            let slot = slots + image * slotStride
            // Bias: sum of dy over pixels.
            for channel in 0..<outChannels {
                slot[weightCount + channel] = LaneSums.sum(gradOut + channel * pixels, count: pixels)
            }
            var columns = UnsafePointer(source)
            if !shape.isPointwise {
                shape.im2col(source, into: scratch[worker, 0])
                columns = UnsafePointer(scratch[worker, 0])
            }
            // dW_b = dy_b · colᵀ
            gemm(transposeB: true, m: outChannels, n: rows, k: pixels, a: gradOut, lda: pixels,
                 b: columns, ldb: pixels, c: slot, ldc: rows)
            // dx_b = col2im(Wᵀ · dy_b)
            if shape.isPointwise {
                gemm(transposeA: true, m: rows, n: pixels, k: outChannels, a: w, lda: rows,
                     b: gradOut, ldb: pixels, c: gradIn, ldc: pixels)
            } else if transposed {
                let gradColumns = scratch[worker, 1]
                gradientShape.im2col(gradOut, into: gradColumns)
                gemm(m: inChannels, n: pixels, k: gradientShape.columnRows, a: flipped, lda: gradientShape.columnRows,
                     b: gradColumns, ldb: pixels, c: gradIn, ldc: pixels)
            } else {
                let gradColumns = scratch[worker, 1]
                gemm(transposeA: true, m: rows, n: pixels, k: outChannels, a: w, lda: rows,
                     b: gradOut, ldb: pixels, c: gradColumns, ldc: pixels)
                gradIn.update(repeating: 0, count: inSize)
                shape.col2imAdd(gradColumns, into: gradIn)
            }
        }
        accumulateImageGradients(slots, stride: slotStride, images: batch, into: weight)
        accumulateImageGradients(slots + weightCount, stride: slotStride, images: batch, into: bias)
        return dx
    }

    /// `y = conv(x) + bias` by oneDNN, one image per primitive call.
    private func oneDNNForward(_ plan: OneDNNConvolution, _ x: Tensor, into y: Tensor) {
        let packed = workspace.shared(slot: Workspace.directKernelSlot, count: plan.packedWeightCount)
        let kernel = plan.prepareForward(workers: Parallel.workerCount, weights: weight.value.data, packedInto: packed)
        let scratch = workspace.perWorker(slots: 3, counts: plan.forwardScratchCounts)
        let inSize = x.count / x.shape[0], outSize = y.count / y.shape[0]
        let (xData, yData, b) = (x.data, y.data, bias.value.data)
        Parallel.forEach(x.shape[0]) { image, worker in
            plan.forward(image: xData + image * inSize, packedWeights: kernel, bias: b, into: yData + image * outSize,
                         worker: worker, scratch: scratch)
        }
    }

    /// dx, and each image's dW and db summed in image order (or per example), by oneDNN;
    /// `plan` has its backward primitives.
    private func oneDNNBackward(_ plan: OneDNNConvolution, _ x: Tensor, _ dy: Tensor, dx: Tensor) {
        let batch = x.shape[0]
        let packed = workspace.shared(slot: Workspace.directKernelSlot, count: plan.packedBackwardWeightCount)
        plan.packBackwardWeights(weight.value.data, into: packed)
        let scratch = workspace.perWorker(slots: 5, counts: plan.backwardScratchCounts)
        let kernelCount = plan.packedKernelGradientCount, slotStride = plan.imageGradientStride
        let slots = workspace.shared(slot: Workspace.imageGradientSlot, count: batch * slotStride)
        let inSize = x.count / batch, outSize = dy.count / batch
        let (xData, dyData, dxData) = (x.data, dy.data, dx.data)
        Parallel.forEach(batch) { image, worker in
            let slot = slots + image * slotStride
            plan.backward(image: xData + image * inSize, outputGradient: dyData + image * outSize, packedWeights: packed,
                          kernelGradient: slot, biasGradient: slot + kernelCount, inputGradient: dxData + image * inSize,
                          worker: worker, scratch: scratch)
        }
        let sums = workspace.shared(slot: Workspace.directKernelGradientSlot, count: kernelCount + weight.gradient.count)
        accumulatePackedImageGradients(slots, stride: slotStride, images: batch, packedCount: kernelCount, into: weight,
                                       scratch: sums) { plan.unpackKernelGradient($0, into: $1) }
        accumulateImageGradients(slots + kernelCount, stride: slotStride, images: batch, into: bias)
    }

    private func winograd(_ tiling: WinogradTiling, batch: Int, height: Int, width: Int) -> WinogradConvolution {
        WinogradConvolution(tiling: tiling, inChannels: inChannels, outChannels: outChannels, batch: batch, height: height,
                            width: width, workspace: workspace)
    }

    /// `W'[in, (out, ky, kx)] = W[out, in, k−1−ky, k−1−kx]`, the kernel of the
    /// convolution that maps dy to dx, in the workspace.
    private func flippedTransposedWeights() -> UnsafeMutablePointer<Float> {
        let taps = kernel * kernel
        let flipped = workspace.shared(slot: Workspace.flippedKernelSlot, count: inChannels * outChannels * taps)
        let w = weight.value.data
        for output in 0..<outChannels {
            for input in 0..<inChannels {
                let source = w + (output * inChannels + input) * taps
                let target = flipped + (input * outChannels + output) * taps
                for tap in 0..<taps { target[tap] = source[taps - 1 - tap] }
            }
        }
        return flipped
    }
}

extension Conv2d {
    /// `y = conv(x) + bias` for `x` of shape `[B, in, H, W]`. `y` comes from the
    /// workspace's pool and is the caller's; `x` is kept by reference and must hold the
    /// same values again when ``backward(_:)`` runs. Without `keepForBackward`, no
    /// backward may follow, and the pass may use forward-only algorithms (``Pass/inference``).
    public func forward(_ x: Tensor, keepForBackward: Bool = true) -> Tensor {
        Profiler.measure(kernel == 1 ? .linear : .convolution) {
            workspace.withScratch { computeForward(x, pass: keepForBackward ? .forward : .inference) }
        }
    }
    /// Given `dy = dL/dy`, accumulates `dL/dweight` and `dL/dbias` and returns `dL/dx`
    /// (from the pool, the caller's).
    public func backward(_ dy: Tensor) -> Tensor {
        Profiler.measure(kernel == 1 ? .linear : .convolution) { workspace.withScratch { computeBackward(dy) } }
    }
}

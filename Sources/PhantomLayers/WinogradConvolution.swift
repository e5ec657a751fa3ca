import PhantomTensor

/// 3×3, stride-1, one-pixel-padded convolutions of NCHW batches by a Winograd
/// algorithm F(m×m, 3×3) (see ``WinogradTiling``): 2.25× (m = 2) or 4× (m = 4) fewer
/// multiply-adds than im2col + GEMM.
///
/// Images go in groups; the tiles of a group are the columns of α² independent GEMMs,
/// one per transformed position ξ, that the workers share out. Group sizes, the pieces
/// of every parallel pass and the order of every sum depend only on the shapes, so
/// results are bit-identical for any worker count; and since each image's tiles go
/// through products of their own, an image's output does not depend on the batch it
/// came in (the sampler's batch-independence test checks this). The input gradient is the
/// convolution of the output gradient with the flipped, transposed kernels, and the
/// kernel gradient is the exact adjoint of the forward transforms, summed over all
/// tiles of the batch by GEMM.
struct WinogradConvolution {
    let tiling: WinogradTiling
    let inChannels: Int, outChannels: Int
    let batch: Int, height: Int, width: Int
    let workspace: Workspace

    /// Upper bound, in floats, of one transformed buffer (α² positions × channels × columns).
    static let bufferBudget = 1 << 20

    private var tilesPerImage: Int {
        let tiles = tiling.tiles(height: height, width: width)
        return tiles.rows * tiles.columns
    }
    private var planeSize: Int { height * width }
    private var imagesPerGroup: Int {
        max(1, min(batch, Self.bufferBudget / (tiling.positions * max(inChannels, outChannels) * tilesPerImage)))
    }
    private var groups: [Range<Int>] {
        stride(from: 0, to: batch, by: imagesPerGroup).map { $0..<min(batch, $0 + imagesPerGroup) }
    }

    /// `y = conv(x, weights) + bias` with `x` `[batch, in, H, W]`, `weights` `[out, in, 3, 3]`.
    func forward(_ x: UnsafePointer<Float>, weights: UnsafePointer<Float>, bias: UnsafePointer<Float>,
                 into y: UnsafeMutablePointer<Float>) {
        let buffers = prepare()
        transformKernels(weights, outChannels: outChannels, inChannels: inChannels, into: buffers.kernels,
                         scratch: buffers.scratch)
        for group in groups {
            let columns = group.count * tilesPerImage
            transformInputs(x, channels: inChannels, group: group, into: buffers.input, columns: columns,
                            scratch: buffers.scratch)
            convolveTransformed(buffers.input, depth: inChannels, kernels: buffers.kernels, channels: outChannels,
                                bias: bias, group: group, columns: columns, buffers: buffers, into: y)
        }
        Profiler.countFlops(2 * batch * outChannels * inChannels * 9 * planeSize)
    }

    /// Adds `dL/dweights` (`[out, in, 3, 3]`) and `dL/dbias` to the gradients of `weight` and
    /// `bias` (or, with ``Parameter/exampleGradients``, each image's to its example's row), and
    /// writes `dL/dx` to `dx`, given `x`, `dy` `[batch, out, H, W]` and the kernels flipped in
    /// both directions and transposed, `[in, out, 3, 3]`.
    func backward(_ x: UnsafePointer<Float>, _ dy: UnsafePointer<Float>, flippedWeights: UnsafePointer<Float>,
                  weight: Parameter, bias: Parameter, dx: UnsafeMutablePointer<Float>) {
        let buffers = prepare()
        transformKernels(flippedWeights, outChannels: inChannels, inChannels: outChannels, into: buffers.kernels,
                         scratch: buffers.scratch)
        let kernelGradients = workspace.shared(slot: Workspace.winogradKernelGradientSlot,
                                               count: tiling.positions * outChannels * inChannels)
        let tiles = tilesPerImage, plane = planeSize, (h, w) = (height, width), tiling = tiling
        let (inC, outC) = (inChannels, outChannels)
        let (u, du, v, m, scratch) = (buffers.kernels, kernelGradients, buffers.input, buffers.product, buffers.scratch)
        let images = batch
        for (index, group) in groups.enumerated() {
            let columns = group.count * tiles, first = group.lowerBound
            // Kernel gradient: dU_ξ += dM_ξ · V_ξᵀ, with V the input tiles and dM = A dY Aᵀ.
            transformInputs(x, channels: inC, group: group, into: v, columns: columns, scratch: scratch)
            Parallel.forEach(group.count * outC) { item, worker in
                let image = item / outC, channel = item % outC
                tiling.transformOutputGradient(
                    dy + ((first + image) * outC + channel) * plane, height: h, width: w,
                    into: m + channel * columns + image * tiles, xiStride: outC * columns, scratch: scratch[worker, 0])
            }
            if let perExample = weight.exampleGradients {
                // Each image's tiles in a product of their own, added to its example's row.
                for image in 0..<group.count {
                    Parallel.forEach(tiling.positions) { xi, _ in
                        gemm(transposeB: true, m: outC, n: inC, k: tiles, a: m + xi * outC * columns + image * tiles,
                             lda: columns, b: v + xi * inC * columns + image * tiles, ldb: columns,
                             c: du + xi * outC * inC, ldc: inC, countsFlops: false)
                    }
                    addKernelGradients(du, into: perExample.row(position: first + image), scratch: scratch)
                }
            } else {
                let beta: Float = index == 0 ? 0 : 1
                Parallel.forEach(tiling.positions) { xi, _ in
                    gemm(transposeB: true, m: outC, n: inC, k: columns, a: m + xi * outC * columns, lda: columns,
                         b: v + xi * inC * columns, ldb: columns, beta: beta, c: du + xi * outC * inC, ldc: inC,
                         countsFlops: false)
                }
            }
            // Input gradient: the convolution of dy with the flipped, transposed kernels.
            transformInputs(dy, channels: outC, group: group, into: v, columns: columns, scratch: scratch)
            convolveTransformed(v, depth: outC, kernels: u, channels: inC, bias: nil, group: group,
                                columns: columns, buffers: buffers, into: dx)
        }
        if weight.exampleGradients == nil {
            addKernelGradients(du, into: weight.gradient.data, scratch: scratch)
        }
        let perExampleBias = bias.exampleGradients, biasGradient = bias.gradient.data
        Parallel.forEach(outC) { channel, _ in
            var total: Float = 0
            for image in 0..<images {
                let sum = LaneSums.sum(dy + (image * outC + channel) * plane, count: plane)
                if let perExampleBias { perExampleBias.row(position: image)[channel] += sum } else { total += sum }
            }
            if perExampleBias == nil { biasGradient[channel] += total }
        }
        Profiler.countFlops(4 * batch * outChannels * inChannels * 9 * plane)
    }

    /// Adds `Gᵀ dU_ξ G` — the kernel gradient of the transformed-domain gradients `du`
    /// (`[ξ][out][in]`) — to `gradient` (`[out, in, 3, 3]`), over fixed chunks of kernel pairs.
    private func addKernelGradients(_ du: UnsafePointer<Float>, into gradient: UnsafeMutablePointer<Float>,
                                    scratch: WorkerBuffers) {
        let pairs = outChannels * inChannels, chunk = WinogradTiling.kernelChunk, tiling = tiling
        Parallel.forEach((pairs + chunk - 1) / chunk) { piece, worker in
            let range = piece * chunk..<min(pairs, (piece + 1) * chunk)
            tiling.addKernelGradients(du, pairs: pairs, range: range, into: gradient, scratch: scratch[worker, 0])
        }
    }

    /// The products `M_ξ = U_ξ · V_ξ` of `kernels` (`[ξ][channels][depth]`) with the
    /// transformed tiles `v` (`[ξ][depth][columns]`) of `group`, then their output transforms
    /// (plus `bias`, if any) into the `channels` planes of each image of `output`.
    private func convolveTransformed(_ v: UnsafePointer<Float>, depth: Int, kernels u: UnsafePointer<Float>,
                                     channels: Int, bias: UnsafePointer<Float>?, group: Range<Int>, columns: Int,
                                     buffers: Buffers, into output: UnsafeMutablePointer<Float>) {
        let m = buffers.product, scratch = buffers.scratch, tiling = tiling
        let tiles = tilesPerImage, plane = planeSize, (h, w) = (height, width), first = group.lowerBound
        Parallel.forEach(tiling.positions) { xi, _ in
            // One product per image: OpenBLAS's result for a column can depend on how many
            // columns the call has (its edge kernels differ by CPU), so an image's columns
            // always go in a call of their own, whatever the batch.
            for image in 0..<group.count {
                gemm(m: channels, n: tiles, k: depth, a: u + xi * channels * depth, lda: depth,
                     b: v + xi * depth * columns + image * tiles, ldb: columns,
                     c: m + xi * channels * columns + image * tiles, ldc: columns, countsFlops: false)
            }
        }
        Parallel.forEach(group.count * channels) { item, worker in
            let image = item / channels, channel = item % channels
            tiling.transformOutput(
                m + channel * columns + image * tiles, xiStride: channels * columns, bias: bias?[channel] ?? 0,
                into: output + ((first + image) * channels + channel) * plane, height: h, width: w,
                scratch: scratch[worker, 0])
        }
    }

    private struct Buffers {
        let kernels: UnsafeMutablePointer<Float>, input: UnsafeMutablePointer<Float>
        let product: UnsafeMutablePointer<Float>, scratch: WorkerBuffers
    }

    private func prepare() -> Buffers {
        let columns = imagesPerGroup * tilesPerImage, widest = max(inChannels, outChannels)
        let positions = tiling.positions
        return Buffers(
            kernels: workspace.shared(slot: Workspace.winogradKernelSlot, count: positions * outChannels * inChannels),
            input: workspace.shared(slot: Workspace.winogradInputSlot, count: positions * widest * columns),
            product: workspace.shared(slot: Workspace.winogradProductSlot, count: positions * widest * columns),
            scratch: workspace.perWorker(slots: 1, counts: [tiling.scratchCount(height: height, width: width)]))
    }

    /// The transforms of `weights` `[outChannels][inChannels][3][3]` into `u`.
    private func transformKernels(_ weights: UnsafePointer<Float>, outChannels: Int, inChannels: Int,
                                  into u: UnsafeMutablePointer<Float>, scratch: WorkerBuffers) {
        let pairs = outChannels * inChannels, chunk = WinogradTiling.kernelChunk, tiling = tiling
        Parallel.forEach((pairs + chunk - 1) / chunk) { piece, worker in
            let range = piece * chunk..<min(pairs, (piece + 1) * chunk)
            tiling.transformKernels(weights, pairs: pairs, range: range, into: u, scratch: scratch[worker, 0])
        }
    }

    /// The input transforms of the planes of `group`'s images of `source` (`channels` per image).
    private func transformInputs(_ source: UnsafePointer<Float>, channels: Int, group: Range<Int>,
                                 into v: UnsafeMutablePointer<Float>, columns: Int, scratch: WorkerBuffers) {
        let tiles = tilesPerImage, plane = planeSize, (h, w) = (height, width), first = group.lowerBound
        let tiling = tiling
        Parallel.forEach(group.count * channels) { item, worker in
            let image = item / channels, channel = item % channels
            tiling.transformInput(
                source + ((first + image) * channels + channel) * plane, height: h, width: w,
                into: v + channel * columns + image * tiles, xiStride: channels * columns,
                scratch: scratch[worker, 0])
        }
    }
}

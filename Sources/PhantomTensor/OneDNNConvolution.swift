import CDNNL
import Foundation

/// A 2-D convolution of one image at a time by oneDNN's primitives (Debian: libdnnl-dev
/// 2.6), direct or Winograd, for one shape.
///
/// oneDNN's fastest CPU kernels (`brgconv` and `jit:avx512_core` on AVX-512, `jit:avx2`
/// on AVX2) keep channels innermost in blocks of 8 or 16 (`nChw16c`, `OIhw16i16o`)
/// and convolve directly, without im2col's column buffer of `k² · in` rows per pixel. Phantom's tensors
/// stay NCHW and its kernels OIHW: each call reorders its image into the primitive's
/// layout and its result back, and each pass reorders the kernel once. On 2 cores of an
/// AVX-512 Xeon (`phantom-benchmark --config shapes`; `Benchmarks/README.md`, "Which
/// convolution where (stop 33)"), the direct primitives run the presets' 3×3 convolutions
/// at 180–320 effective GFLOP/s forward and 160–300 backward, reorders included, where
/// im2col + `dnnl_sgemm` reaches 120–230 and 105–230; the Winograd ones (forward, AVX-512
/// only) reach 280–660 once their kernel transform is kept.
///
/// Each image goes through primitives of batch 1 on the calling thread alone, so an
/// image's result depends neither on the batch it came in nor on the worker count.
///
/// Passes: ``forward(image:packedWeights:bias:into:worker:scratch:)``;
/// ``backward(image:outputGradient:packedWeights:kernelGradient:biasGradient:inputGradient:worker:scratch:)``
/// (which needs ``prepareBackward(workers:)``).
public final class OneDNNConvolution: @unchecked Sendable {
    /// oneDNN's convolution algorithms.
    public enum Algorithm: Sendable {
        /// Direct convolution (`dnnl_convolution_direct`): any kernel, stride and padding.
        case direct
        /// Winograd (`dnnl_convolution_winograd`): 3×3, stride 1, on AVX-512 CPUs, where
        /// oneDNN picks F(2×2, 3×3) or F(4×4, 3×3). Its backward primitives want 8–21 MiB
        /// of scratchpad per image (32 → 32 at 64×64: 11 MiB for dW, 8 for dx).
        case winograd

        var kind: dnnl_alg_kind_t { self == .direct ? dnnl_convolution_direct : dnnl_convolution_winograd }
    }

    /// One image's geometry: input channels, size, kernel, stride and padding.
    public let geometry: ConvGeometry
    /// Output channels.
    public let outChannels: Int
    public let algorithm: Algorithm

    /// Multiply-adds × 2 of one image.
    public var flops: Int { 2 * outChannels * geometry.columnRows * geometry.columnCount }
    /// Floats of the kernel, `[out, in, k, k]`.
    private var kernelCount: Int { outChannels * geometry.columnRows }

    // Forward: image in, convolution, image out; the kernel packed once per pass.
    private let convolution: OneDNNPrimitive
    private let sourceIn: OneDNNPrimitive?, outputOut: OneDNNPrimitive?, weightsIn: OneDNNPrimitive?
    private let layouts: (image: dnnl_memory_desc_t, output: dnnl_memory_desc_t, weights: dnnl_memory_desc_t)

    /// The primitives of the backward pass, made by ``prepareBackward(workers:)``.
    private struct Backward {
        let data: OneDNNPrimitive, weights: OneDNNPrimitive
        /// Reorders: x and dy into the weight-gradient primitive's layouts, dy into the
        /// data-gradient primitive's (nil where it is the same), dx out, W in, dW out.
        let sourceIn: OneDNNPrimitive?, gradientInForWeights: OneDNNPrimitive?, gradientInForData: OneDNNPrimitive?
        let dataGradientsShareLayout: Bool
        let inputGradientOut: OneDNNPrimitive?, weightsIn: OneDNNPrimitive?, kernelGradientOut: OneDNNPrimitive?
    }
    /// Made on first use; nil when oneDNN has none for this shape and algorithm.
    private lazy var backwardPrimitives: Backward? = makeBackward()

    /// The primitives for images of `geometry` to `outChannels` channels by `algorithm`,
    /// or nil when oneDNN has none on this CPU.
    public init?(_ geometry: ConvGeometry, outChannels: Int, algorithm: Algorithm = .direct) {
        (self.geometry, self.outChannels, self.algorithm) = (geometry, outChannels, algorithm)
        let image = OneDNN.descriptor([1, geometry.channels, geometry.height, geometry.width], dnnl_nchw)
        let output = OneDNN.descriptor([1, outChannels, geometry.outHeight, geometry.outWidth], dnnl_nchw)
        let weights = OneDNN.descriptor([outChannels, geometry.channels, geometry.kernel, geometry.kernel], dnnl_oihw)
        layouts = (image, output, weights)
        guard let pd = Self.forwardDescriptor(geometry, outChannels, algorithm, training: false) else { return nil }
        defer { dnnl_primitive_desc_destroy(pd) }
        let arguments: [(Int32, dnnl_query_t, Int32)] = [
            (Int32(DNNL_ARG_SRC), dnnl_query_src_md, 0), (Int32(DNNL_ARG_WEIGHTS), dnnl_query_weights_md, 0),
            (Int32(DNNL_ARG_BIAS), dnnl_query_weights_md, 1), (Int32(DNNL_ARG_DST), dnnl_query_dst_md, 0),
        ]
        guard let convolution = OneDNNPrimitive(pd, arguments: arguments),
              let sourceIn = OneDNN.reorder(image, convolution.descriptor(0)),
              let weightsIn = OneDNN.reorder(weights, convolution.descriptor(1)),
              let outputOut = OneDNN.reorder(convolution.descriptor(3), output) else { return nil }
        (self.convolution, self.sourceIn, self.weightsIn, self.outputOut) = (convolution, sourceIn, weightsIn, outputOut)
    }

    /// The forward primitive descriptor: for inference (what ``forward(image:packedWeights:bias:into:worker:scratch:)``
    /// runs), or for training (the hint the backward primitives are made from).
    private static func forwardDescriptor(_ geometry: ConvGeometry, _ outChannels: Int, _ algorithm: Algorithm,
                                          training: Bool) -> dnnl_primitive_desc_t? {
        var (source, kernel, bias, destination) = anyLayouts(geometry, outChannels)
        var description = dnnl_convolution_desc_t()
        let (strides, before, after) = steps(geometry)
        guard dnnl_convolution_forward_desc_init(&description, training ? dnnl_forward_training : dnnl_forward_inference,
                                                 algorithm.kind, &source, &kernel, &bias, &destination,
                                                 strides, before, after) == dnnl_success else { return nil }
        return OneDNN.primitiveDescriptor(&description, hint: nil)
    }

    /// Descriptors of the image, kernel, bias and output that let the primitive choose the layouts.
    private static func anyLayouts(_ g: ConvGeometry, _ outChannels: Int)
        -> (dnnl_memory_desc_t, dnnl_memory_desc_t, dnnl_memory_desc_t, dnnl_memory_desc_t) {
        (OneDNN.descriptor([1, g.channels, g.height, g.width], dnnl_format_tag_any),
         OneDNN.descriptor([outChannels, g.channels, g.kernel, g.kernel], dnnl_format_tag_any),
         OneDNN.descriptor([outChannels], dnnl_x),
         OneDNN.descriptor([1, outChannels, g.outHeight, g.outWidth], dnnl_format_tag_any))
    }

    /// Strides and the padding before and after, as oneDNN takes them.
    private static func steps(_ g: ConvGeometry) -> (strides: [Int64], before: [Int64], after: [Int64]) {
        ([Int64(g.stride), Int64(g.stride)], [Int64(g.padTop), Int64(g.padLeft)], [Int64(g.padBottom), Int64(g.padRight)])
    }

    // MARK: Forward

    /// Floats of per-worker scratch ``forward(image:packedWeights:bias:into:worker:scratch:)``
    /// uses, slot by slot: the image and the output in the primitive's layouts, and its scratchpad.
    public var forwardScratchCounts: [Int] {
        [floats(convolution.descriptor(0)), floats(convolution.descriptor(3)), floats(bytes: convolution.scratchpadBytes)]
    }

    /// Floats of the kernel in the forward primitive's layout.
    public var packedWeightCount: Int { floats(convolution.descriptor(1)) }

    /// Readies `workers` workers and returns `weights` (`[out, in, k, k]`) in the forward
    /// primitive's layout: written into `packed` (``packedWeightCount`` floats), or, for
    /// Winograd, into a copy of its own, remade only when `weights` differ from the last
    /// call's (oneDNN transforms a Winograd kernel on one thread, at about the cost of a
    /// few images' convolutions; a sampler's weights do not change between steps). Call
    /// once per pass, before the workers run.
    public func prepareForward(workers: Int, weights: UnsafePointer<Float>,
                               packedInto packed: UnsafeMutablePointer<Float>) -> UnsafePointer<Float> {
        for primitive in [convolution, sourceIn, outputOut, weightsIn].compactMap({ $0 }) { primitive.prepare(workers: workers) }
        guard algorithm == .winograd else {
            relayout(weightsIn, UnsafeMutableRawPointer(mutating: weights), packed, count: packedWeightCount, worker: 0)
            return UnsafePointer(packed)
        }
        let count = kernelCount
        if let cached = packedKernel, memcmp(cached.source.baseAddress!, weights, count * MemoryLayout<Float>.stride) == 0 {
            return UnsafePointer(cached.packed)
        }
        let own = packedKernel ?? (UnsafeMutableBufferPointer.allocate(capacity: count),
                                   UnsafeMutablePointer<Float>.allocate(capacity: packedWeightCount))
        _ = own.source.initialize(from: UnsafeBufferPointer(start: weights, count: count))
        relayout(weightsIn, UnsafeMutableRawPointer(mutating: weights), own.packed, count: packedWeightCount, worker: 0)
        packedKernel = own
        return UnsafePointer(own.packed)
    }

    /// A Winograd primitive's kernel as last given, and in its layout.
    private var packedKernel: (source: UnsafeMutableBufferPointer<Float>, packed: UnsafeMutablePointer<Float>)?

    deinit {
        packedKernel?.source.deallocate()
        packedKernel?.packed.deallocate()
    }

    /// `y = conv(x) + bias` for one image `x` `[in, H, W]` into `y` `[out, outHeight, outWidth]`,
    /// on worker `worker`'s objects and scratch slots `0..<3` (``forwardScratchCounts``).
    public func forward(image x: UnsafePointer<Float>, packedWeights: UnsafePointer<Float>, bias: UnsafePointer<Float>,
                        into y: UnsafeMutablePointer<Float>, worker: Int, scratch: WorkerBuffers) {
        let source = relayout(sourceIn, UnsafeMutableRawPointer(mutating: x), scratch[worker, 0], worker: worker)
        let output = outputOut == nil ? UnsafeMutableRawPointer(y) : UnsafeMutableRawPointer(scratch[worker, 1])
        convolution.run(worker: worker, [source, UnsafeMutableRawPointer(mutating: packedWeights),
                                         UnsafeMutableRawPointer(mutating: bias), output],
                        scratchpad: UnsafeMutableRawPointer(scratch[worker, 2]))
        if let outputOut { outputOut.run(worker: worker, [output, UnsafeMutableRawPointer(y)], scratchpad: nil) }
        Profiler.countFlops(flops)
    }

    // MARK: Backward

    /// Makes the backward primitives (once) and readies `workers` workers; false when
    /// oneDNN has no backward pass for this shape and algorithm.
    public func prepareBackward(workers: Int) -> Bool {
        guard let backward = backwardPrimitives else { return false }
        for primitive in [backward.data, backward.weights, backward.sourceIn, backward.gradientInForWeights,
                          backward.gradientInForData, backward.inputGradientOut, backward.weightsIn,
                          backward.kernelGradientOut].compactMap({ $0 }) {
            primitive.prepare(workers: workers)
        }
        return true
    }

    private var backward: Backward {
        guard let backwardPrimitives else { preconditionFailure("OneDNNConvolution: prepareBackward first") }
        return backwardPrimitives
    }

    /// Floats of per-worker scratch the backward pass uses, slot by slot: x and dy in the
    /// weight-gradient primitive's layouts, dy in the data-gradient primitive's, dx in its
    /// layout, and the larger scratchpad of the two.
    public var backwardScratchCounts: [Int] {
        let backward = backward
        return [floats(backward.weights.descriptor(0)), floats(backward.weights.descriptor(1)),
                floats(backward.data.descriptor(0)), floats(backward.data.descriptor(2)),
                floats(bytes: max(backward.data.scratchpadBytes, backward.weights.scratchpadBytes))]
    }

    /// Floats of the kernel in the data-gradient primitive's layout.
    public var packedBackwardWeightCount: Int { floats(backward.data.descriptor(1)) }

    /// Floats of one image's kernel gradient in the weight-gradient primitive's layout.
    public var packedKernelGradientCount: Int { floats(backward.weights.descriptor(2)) }

    /// Floats from one image's gradients to the next where a batch's are laid out one after
    /// another: its kernel gradient (``packedKernelGradientCount``) then its bias gradient,
    /// padded so each image's starts on a 64-byte line, as oneDNN's Winograd kernels store
    /// them with aligned instructions (8 → 1 channels faulted without the padding).
    public var imageGradientStride: Int { (packedKernelGradientCount + outChannels + 15) / 16 * 16 }

    /// Writes `weights` (`[out, in, k, k]`) into `packed` (``packedBackwardWeightCount`` floats)
    /// in the data-gradient primitive's layout, on the calling thread.
    public func packBackwardWeights(_ weights: UnsafePointer<Float>, into packed: UnsafeMutablePointer<Float>) {
        relayout(backward.weightsIn, UnsafeMutableRawPointer(mutating: weights), packed, count: packedBackwardWeightCount, worker: 0)
    }

    /// For one image: writes its kernel gradient (``packedKernelGradientCount`` floats, in the
    /// primitive's layout: see ``unpackKernelGradient(_:into:)``) and bias gradient (`out`
    /// floats), and its input gradient `dx` `[in, H, W]`, given `x` and `dy` `[out, outHeight, outWidth]`.
    /// Uses worker `worker`'s objects and scratch slots `0..<5` (``backwardScratchCounts``).
    public func backward(image x: UnsafePointer<Float>, outputGradient dy: UnsafePointer<Float>,
                         packedWeights: UnsafePointer<Float>,
                         kernelGradient: UnsafeMutablePointer<Float>, biasGradient: UnsafeMutablePointer<Float>,
                         inputGradient dx: UnsafeMutablePointer<Float>, worker: Int, scratch: WorkerBuffers) {
        let backward = backward
        let scratchpad = UnsafeMutableRawPointer(scratch[worker, 4])
        let gradient = UnsafeMutableRawPointer(mutating: dy)
        let source = relayout(backward.sourceIn, UnsafeMutableRawPointer(mutating: x), scratch[worker, 0], worker: worker)
        let gradientForWeights = relayout(backward.gradientInForWeights, gradient, scratch[worker, 1], worker: worker)
        backward.weights.run(worker: worker, [source, gradientForWeights, UnsafeMutableRawPointer(kernelGradient),
                                              UnsafeMutableRawPointer(biasGradient)], scratchpad: scratchpad)
        let gradientForData = backward.dataGradientsShareLayout
            ? gradientForWeights : relayout(backward.gradientInForData, gradient, scratch[worker, 2], worker: worker)
        let inputGradient = backward.inputGradientOut == nil ? UnsafeMutableRawPointer(dx) : UnsafeMutableRawPointer(scratch[worker, 3])
        backward.data.run(worker: worker, [gradientForData, UnsafeMutableRawPointer(mutating: packedWeights), inputGradient],
                          scratchpad: scratchpad)
        if let out = backward.inputGradientOut { out.run(worker: worker, [inputGradient, UnsafeMutableRawPointer(dx)], scratchpad: nil) }
        Profiler.countFlops(2 * flops)
    }

    /// Writes a kernel gradient in the weight-gradient primitive's layout as `[out, in, k, k]`,
    /// on the calling thread. The layouts differ by the order of elements (and zero padding), so
    /// sums of packed gradients unpack to the sums of the unpacked ones, bit for bit.
    public func unpackKernelGradient(_ packed: UnsafePointer<Float>, into gradient: UnsafeMutablePointer<Float>) {
        relayout(backward.kernelGradientOut, UnsafeMutableRawPointer(mutating: packed), gradient, count: kernelCount, worker: 0)
    }

    private func makeBackward() -> Backward? {
        var (source, kernel, bias, destination) = Self.anyLayouts(geometry, outChannels)
        let (strides, before, after) = Self.steps(geometry)
        var dataDescription = dnnl_convolution_desc_t(), weightsDescription = dnnl_convolution_desc_t()
        guard dnnl_convolution_backward_data_desc_init(&dataDescription, algorithm.kind, &source, &kernel, &destination,
                                                       strides, before, after) == dnnl_success,
              dnnl_convolution_backward_weights_desc_init(&weightsDescription, algorithm.kind, &source, &kernel, &bias,
                                                          &destination, strides, before, after) == dnnl_success,
              let hint = Self.forwardDescriptor(geometry, outChannels, algorithm, training: true) else { return nil }
        defer { dnnl_primitive_desc_destroy(hint) }
        guard let dataPD = OneDNN.primitiveDescriptor(&dataDescription, hint: hint) else { return nil }
        defer { dnnl_primitive_desc_destroy(dataPD) }
        guard let weightsPD = OneDNN.primitiveDescriptor(&weightsDescription, hint: hint) else { return nil }
        defer { dnnl_primitive_desc_destroy(weightsPD) }
        guard let data = OneDNNPrimitive(dataPD, arguments: [
                (Int32(DNNL_ARG_DIFF_DST), dnnl_query_diff_dst_md, 0), (Int32(DNNL_ARG_WEIGHTS), dnnl_query_weights_md, 0),
                (Int32(DNNL_ARG_DIFF_SRC), dnnl_query_diff_src_md, 0)]),
              let weights = OneDNNPrimitive(weightsPD, arguments: [
                (Int32(DNNL_ARG_SRC), dnnl_query_src_md, 0), (Int32(DNNL_ARG_DIFF_DST), dnnl_query_diff_dst_md, 0),
                (Int32(DNNL_ARG_DIFF_WEIGHTS), dnnl_query_diff_weights_md, 0), (Int32(DNNL_ARG_DIFF_BIAS), dnnl_query_diff_weights_md, 1)]),
              OneDNN.equal(weights.descriptor(3), OneDNN.descriptor([outChannels], dnnl_x)),
              let sourceIn = OneDNN.reorder(layouts.image, weights.descriptor(0)),
              let gradientInForWeights = OneDNN.reorder(layouts.output, weights.descriptor(1)),
              let gradientInForData = OneDNN.reorder(layouts.output, data.descriptor(0)),
              let inputGradientOut = OneDNN.reorder(data.descriptor(2), layouts.image),
              let weightsIn = OneDNN.reorder(layouts.weights, data.descriptor(1)),
              let kernelGradientOut = OneDNN.reorder(weights.descriptor(2), layouts.weights) else { return nil }
        return Backward(data: data, weights: weights, sourceIn: sourceIn, gradientInForWeights: gradientInForWeights,
                        gradientInForData: gradientInForData,
                        dataGradientsShareLayout: OneDNN.equal(weights.descriptor(1), data.descriptor(0)),
                        inputGradientOut: inputGradientOut, weightsIn: weightsIn, kernelGradientOut: kernelGradientOut)
    }

    /// `source` in the layout `reorder` makes, in `target`, or `source` itself when
    /// there is no reorder (the layouts agree).
    @discardableResult
    private func relayout(_ reorder: OneDNNPrimitive?, _ source: UnsafeMutableRawPointer,
                          _ target: UnsafeMutablePointer<Float>, count: Int? = nil, worker: Int) -> UnsafeMutableRawPointer {
        guard let reorder else {
            if let count, UnsafeMutableRawPointer(target) != source {
                target.update(from: source.assumingMemoryBound(to: Float.self), count: count)
                return UnsafeMutableRawPointer(target)
            }
            return source
        }
        reorder.run(worker: worker, [source, UnsafeMutableRawPointer(target)], scratchpad: nil)
        return UnsafeMutableRawPointer(target)
    }

    private func floats(_ descriptor: dnnl_memory_desc_t) -> Int { floats(bytes: OneDNN.size(descriptor)) }
    private func floats(bytes: Int) -> Int { (bytes + 3) / 4 }
}

extension OneDNN {
    /// A primitive descriptor for operation `description` with a caller-supplied
    /// scratchpad, or nil when oneDNN has no implementation.
    static func primitiveDescriptor<Description>(_ description: inout Description, hint: dnnl_primitive_desc_t?) -> dnnl_primitive_desc_t? {
        guard let attributes = userScratchpadAttributes() else { return nil }
        defer { dnnl_primitive_attr_destroy(attributes) }
        phantom_dnnl_use_calling_thread()
        var pd: dnnl_primitive_desc_t?
        guard dnnl_primitive_desc_create(&pd, &description, attributes, engine, hint) == dnnl_success else { return nil }
        return pd
    }

    /// The reorder from layout `source` to `target`: `.some(nil)` when they are the same,
    /// nil when oneDNN cannot make it.
    static func reorder(_ source: dnnl_memory_desc_t, _ target: dnnl_memory_desc_t) -> OneDNNPrimitive?? {
        if equal(source, target) { return .some(nil) }
        guard let primitive = OneDNNPrimitive(reorderingFrom: source, to: target) else { return nil }
        return .some(primitive)
    }
}

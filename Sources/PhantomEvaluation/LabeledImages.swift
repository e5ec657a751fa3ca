import PhantomImaging
import PhantomTensor

/// Square grayscale images in [-1, 1] with class labels, held contiguously: image `i`
/// is `pixels[i * side * side ..< (i + 1) * side * side]`, its class `labels[i]`, an
/// index into the evaluation's class list.
public struct LabeledImages: Sendable {
    public let side: Int
    public private(set) var pixels: [Float]
    public private(set) var labels: [Int]

    public init(side: Int, pixels: [Float], labels: [Int]) {
        precondition(side > 0 && pixels.count == labels.count * side * side, "\(labels.count) labels for \(pixels.count) pixels at side \(side)")
        self.side = side
        self.pixels = pixels
        self.labels = labels
    }

    /// Every image of `dataset`, with its class relabelled through `classIndex` (the
    /// dataset's class names → the evaluation's indices).
    public init(_ dataset: ImageFolderDataset, classIndex: [String: Int]) {
        side = dataset.resolution
        var pixels = [Float](repeating: 0, count: dataset.count * dataset.floatsPerImage)
        pixels.withUnsafeMutableBufferPointer { dataset.writeAllFloats(into: $0.baseAddress!) }
        self.pixels = pixels
        labels = (0..<dataset.count).map { classIndex[dataset.classNames[dataset.label(at: $0) ?? 0]] ?? -1 }
    }

    /// Generated images `[N, 1, H, W]` in [-1, 1] as the evaluation would read them back
    /// from files: clamped and rounded to `bitDepth` bits.
    public init(samples: Tensor, labels: [Int], bitDepth: Int) {
        let levels = Float((1 << bitDepth) - 1)
        let pixels = samples.values.map { value in
            ((min(1, max(-1, value)) * 0.5 + 0.5) * levels).rounded() / levels * 2 - 1
        }
        self.init(side: samples.shape[2], pixels: pixels, labels: labels)
    }

    public var count: Int { labels.count }
    public var pixelsPerImage: Int { side * side }

    /// Image `index`'s pixels.
    public func image(_ index: Int) -> ArraySlice<Float> {
        pixels[index * pixelsPerImage..<(index + 1) * pixelsPerImage]
    }

    /// The images at `indices`, in that order.
    public func selecting(_ indices: [Int]) -> LabeledImages {
        var chosen: [Float] = []
        chosen.reserveCapacity(indices.count * pixelsPerImage)
        for index in indices { chosen += image(index) }
        return LabeledImages(side: side, pixels: chosen, labels: indices.map { labels[$0] })
    }

    /// These images followed by `other`'s.
    public func appending(_ other: LabeledImages) -> LabeledImages {
        precondition(other.side == side, "sides \(side) and \(other.side)")
        return LabeledImages(side: side, pixels: pixels + other.pixels, labels: labels + other.labels)
    }

    /// The indices of the images of each class, `[class] → [index]`, for `classCount` classes.
    public func indicesByClass(classCount: Int) -> [[Int]] {
        var groups = [[Int]](repeating: [], count: classCount)
        for (index, label) in labels.enumerated() where (0..<classCount).contains(label) { groups[label].append(index) }
        return groups
    }
}

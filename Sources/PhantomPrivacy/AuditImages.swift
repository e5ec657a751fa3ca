import PhantomImaging

/// Square grayscale images as the audit compares them: `count` images of `side` × `side`
/// floats in [-1, 1] (the model's view of the pixels), row-major, one after another.
public struct AuditImages: Sendable {
    /// Width and height of every image.
    public let side: Int
    /// The number of images.
    public let count: Int
    /// `count * side * side` floats; image `i` starts at `i * side * side`.
    public let pixels: [Float]

    /// Images from their pixels.
    ///
    /// - Precondition: `side > 0` and `pixels.count` is a multiple of `side * side`.
    public init(side: Int, pixels: [Float]) {
        precondition(side > 0, "image side must be positive")
        precondition(pixels.count % (side * side) == 0, "\(pixels.count) floats do not make \(side)x\(side) images")
        self.side = side
        self.count = pixels.count / (side * side)
        self.pixels = pixels
    }

    /// Every image of `dataset` in the dataset's order, at its resolution.
    public init(_ dataset: ImageFolderDataset) {
        let total = dataset.count * dataset.floatsPerImage
        let pixels = [Float](unsafeUninitializedCapacity: total) { buffer, initialized in
            if let base = buffer.baseAddress { dataset.writeAllFloats(into: base) }
            initialized = total
        }
        self.init(side: dataset.resolution, pixels: pixels)
    }

    /// Floats per image: `side * side`.
    public var pixelsPerImage: Int { side * side }

    /// The pixels of image `index`.
    ///
    /// - Precondition: `0 <= index < count`.
    public func image(at index: Int) -> ArraySlice<Float> {
        precondition(index >= 0 && index < count, "image index \(index) out of range 0..<\(count)")
        return pixels[(index * pixelsPerImage)..<((index + 1) * pixelsPerImage)]
    }
}

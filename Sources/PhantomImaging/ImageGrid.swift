/// Lays out float images in [-1, 1] as one picture: a grid of tiles separated by
/// a gap, for sample sheets and side-by-side comparisons.
public enum ImageGrid {
    /// `images` are `side × side` row-major float images in [-1, 1], placed row by
    /// row `columns` per row with `gap` pixels of `background` between them.
    public static func tile(_ images: [[Float]], side: Int, columns: Int, gap: Int = 2,
                            background: Float = 1, bitDepth: BitDepth = .eight) -> GrayImage {
        precondition(images.allSatisfy { $0.count == side * side } && columns > 0, "ImageGrid: tiles of \(side)²")
        let rows = (images.count + columns - 1) / columns
        let width = columns * side + (columns - 1) * gap
        let height = max(1, rows * side + (rows - 1) * gap)
        var canvas = [Float](repeating: background, count: width * height)
        for (index, image) in images.enumerated() {
            let left = (index % columns) * (side + gap), top = (index / columns) * (side + gap)
            for y in 0..<side {
                for x in 0..<side { canvas[(top + y) * width + left + x] = image[y * side + x] }
            }
        }
        return GrayImage(width: width, height: height, bitDepth: bitDepth, floats: canvas)
    }
}

import PhantomImaging

/// A picture of suspected copies for a person to judge: each sample beside the
/// training image it resembles.
///
/// Pairs run left to right, then top to bottom, at most ``maxColumns`` to a row; each
/// pair is `sample | training` with ``pairGap`` pixels between the two and
/// ``cellGap`` pixels around pairs, on a mid-gray background so black image borders
/// stay visible. The sheet is 8-bit whatever the images' depth.
public enum ContactSheet {
    /// Pixels between a sample and its training image.
    public static let pairGap = 2
    /// Pixels between pairs and around the sheet.
    public static let cellGap = 8
    /// Pairs per row.
    public static let maxColumns = 4

    /// The sheet for `pairs` of (sample index, training index), or nil when empty.
    ///
    /// - Precondition: `samples` and `training` have the same side; indices are in range.
    public static func make(
        pairs: [(sample: Int, training: Int)], samples: AuditImages, training: AuditImages
    ) -> GrayImage? {
        guard !pairs.isEmpty else { return nil }
        precondition(samples.side == training.side, "samples and training images differ in size")
        let side = samples.side
        let columns = min(maxColumns, pairs.count)
        let rows = (pairs.count + columns - 1) / columns
        let pairWidth = 2 * side + pairGap
        let width = cellGap + columns * (pairWidth + cellGap)
        let height = cellGap + rows * (side + cellGap)
        var canvas = [Float](repeating: 0, count: width * height)
        func paste(_ image: ArraySlice<Float>, left: Int, top: Int) {
            for (offset, value) in image.enumerated() {
                canvas[(top + offset / side) * width + left + offset % side] = value
            }
        }
        for (position, pair) in pairs.enumerated() {
            let left = cellGap + (position % columns) * (pairWidth + cellGap)
            let top = cellGap + (position / columns) * (side + cellGap)
            paste(samples.image(at: pair.sample), left: left, top: top)
            paste(training.image(at: pair.training), left: left + side + pairGap, top: top)
        }
        return GrayImage(width: width, height: height, bitDepth: .eight, floats: canvas)
    }
}

import COpenSlide

/// Reads whole-slide pathology images through OpenSlide as grayscale tiles.
///
/// 1. The slide's smallest pyramid level is read whole (it must stay under `maxPixels`) and
///    turned into luminance; Otsu's threshold on its histogram separates tissue (darker) from
///    the bright glass; transparent pixels (outside the scanned area) count as glass.
/// 2. The chosen level (``WholeSlideOptions/level``) is cut into a grid of
///    ``WholeSlideOptions/tileSize`` tiles; a tile is kept when at least
///    ``WholeSlideOptions/minTissueFraction`` of its footprint on the small level is tissue.
/// 3. Past ``WholeSlideOptions/maxTilesPerSlide`` tissue tiles, a seeded choice keeps that
///    many; the kept tiles come in row-major order.
/// 4. Each kept tile is read (`openslide_read_region`, premultiplied ARGB) and converted to
///    8-bit Rec. 709 luminance, transparent pixels as white.
///
/// Tiles are named `tile-L-X-Y` (level, and the tile's top-left corner in level-0 pixels).
/// Every failure is an ``ImagingError`` naming the slide.
public enum WholeSlideReader {
    /// File name extensions of the vendor formats OpenSlide reads.
    public static let fileExtensions = ["svs", "ndpi", "mrxs", "scn", "bif", "vms", "vmu", "svslide"]

    /// Whether the file at `path` is a whole-slide image: a vendor extension, or a TIFF that
    /// OpenSlide recognises and that holds a pyramid (more than one level). A plain (or tiled
    /// single-level) TIFF is not: it stays with ``TIFFDecoder``.
    public static func isWholeSlide(path: String) -> Bool {
        let lower = path.lowercased()
        if fileExtensions.contains(where: { lower.hasSuffix("." + $0) }) { return true }
        guard lower.hasSuffix(".tif") || lower.hasSuffix(".tiff"), openslide_detect_vendor(path) != nil,
              let slide = openslide_open(path) else { return false }
        defer { openslide_close(slide) }
        return openslide_get_error(slide) == nil && openslide_get_level_count(slide) > 1
    }

    /// Calls `body` with each kept tile's name and image; returns how many tiles were on
    /// the grid, held tissue, and were kept.
    ///
    /// - Parameter maxPixels: the most pixels of the smallest level, and of each tile.
    @discardableResult
    public static func forEachTile(path: String, options: WholeSlideOptions = WholeSlideOptions(),
                                   maxPixels: Int = PNGDecoder.defaultMaxPixels,
                                   _ body: (String, GrayImage) throws(ImagingError) -> Void) throws(ImagingError) -> TileTally {
        guard options.tileSize > 0, options.tileSize * options.tileSize <= maxPixels else {
            throw ImagingError(.dimensions, path: path, reason: "tile size \(options.tileSize) is not allowed")
        }
        guard let slide = openslide_open(path) else {
            throw ImagingError(.corrupt, path: path, reason: "not a whole-slide image OpenSlide can read")
        }
        defer { openslide_close(slide) }
        try check(slide, path)
        let levels = Int(openslide_get_level_count(slide))
        guard levels > 0 else { throw ImagingError(.corrupt, path: path, reason: "whole-slide image without levels") }
        let level = min(max(0, options.level), levels - 1)
        let (width, height) = dimensions(slide, level)
        let (thumbWidth, thumbHeight) = dimensions(slide, levels - 1)
        guard width > 0, height > 0, thumbWidth > 0, thumbHeight > 0 else {
            throw ImagingError(.dimensions, path: path, reason: "whole-slide image with zero dimensions")
        }
        guard thumbWidth * thumbHeight <= maxPixels else {
            throw ImagingError(.dimensions, path: path, reason:
                "the slide's smallest level is \(thumbWidth)x\(thumbHeight), over the limit of \(maxPixels) pixels")
        }
        // 1. Tissue mask on the smallest level.
        let thumbnail = try region(slide, path: path, level: levels - 1, x: 0, y: 0, width: thumbWidth, height: thumbHeight)
        let threshold = otsuThreshold(thumbnail)
        // 2. Tissue tiles of the chosen level.
        let downsample = openslide_get_level_downsample(slide, Int32(level))
        let thumbDownsample = openslide_get_level_downsample(slide, Int32(levels - 1))
        let scale = downsample / thumbDownsample   // chosen-level pixels → thumbnail pixels
        let size = options.tileSize
        var tiles: [(column: Int, row: Int)] = []
        for row in 0..<(height / size) {
            for column in 0..<(width / size) {
                let x0 = Int(Double(column * size) * scale), x1 = max(x0 + 1, Int(Double((column + 1) * size) * scale))
                let y0 = Int(Double(row * size) * scale), y1 = max(y0 + 1, Int(Double((row + 1) * size) * scale))
                var tissue = 0, total = 0
                for y in y0..<min(y1, thumbHeight) {
                    for x in x0..<min(x1, thumbWidth) {
                        total += 1
                        if thumbnail[y * thumbWidth + x] < threshold { tissue += 1 }
                    }
                }
                if total > 0, Double(tissue) >= options.minTissueFraction * Double(total) { tiles.append((column, row)) }
            }
        }
        guard !tiles.isEmpty else {
            throw ImagingError(.noImages, path: path, reason: "no \(size)-pixel tile of level \(level) is at least "
                               + "\(Int(options.minTissueFraction * 100))% tissue (a blank slide, or tiles larger than the tissue)")
        }
        let onGrid = (height / size) * (width / size), tissue = tiles.count
        // 3. A seeded choice past the cap, kept in position order.
        if let cap = options.maxTilesPerSlide, tiles.count > cap {
            let ranked = tiles.indices.sorted { mix(options.seed, $0) < mix(options.seed, $1) }
            tiles = ranked.prefix(cap).sorted().map { tiles[$0] }
        }
        // 4. Read and convert each tile.
        for tile in tiles {
            let x = Int((Double(tile.column * size) * downsample).rounded()), y = Int((Double(tile.row * size) * downsample).rounded())
            let pixels = try region(slide, path: path, level: level, x: x, y: y, width: size, height: size)
            try body("tile-\(level)-\(x)-\(y)", GrayImage(width: size, height: size, samples: .uint8(pixels)))
        }
        return TileTally(onGrid: onGrid, tissue: tissue, kept: tiles.count)
    }

    private static func check(_ slide: OpaquePointer, _ path: String) throws(ImagingError) {
        if let error = openslide_get_error(slide) {
            throw ImagingError(.corrupt, path: path, reason: "OpenSlide: \(String(validatingCString: error) ?? "unreadable slide")")
        }
    }

    private static func dimensions(_ slide: OpaquePointer, _ level: Int) -> (Int, Int) {
        var width: Int64 = 0, height: Int64 = 0
        openslide_get_level_dimensions(slide, Int32(level), &width, &height)
        return (Int(max(0, width)), Int(max(0, height)))
    }

    /// Reads a region of `level` (top-left `x`, `y` in level-0 pixels) as 8-bit luminance.
    private static func region(_ slide: OpaquePointer, path: String, level: Int, x: Int, y: Int,
                               width: Int, height: Int) throws(ImagingError) -> [UInt8] {
        var argb = [UInt32](repeating: 0, count: width * height)
        argb.withUnsafeMutableBufferPointer { buffer in
            openslide_read_region(slide, buffer.baseAddress, Int64(x), Int64(y), Int32(level), Int64(width), Int64(height))
        }
        try check(slide, path)
        return argb.map { pixel in
            let alpha = pixel >> 24
            guard alpha > 0 else { return 255 }
            // Premultiplied: un-premultiply, then Rec. 709 luminance.
            let red = (pixel >> 16) & 0xFF, green = (pixel >> 8) & 0xFF, blue = pixel & 0xFF
            let luma = (2126 * red + 7152 * green + 722 * blue) * 255 / (alpha * 10000)
            return UInt8(min(255, luma))
        }
    }

    /// Otsu's threshold (1979): the grey level that maximises the between-class variance of
    /// the histogram; pixels below it are tissue.
    static func otsuThreshold(_ pixels: [UInt8]) -> UInt8 {
        var histogram = [Double](repeating: 0, count: 256)
        for value in pixels { histogram[Int(value)] += 1 }
        let total = Double(pixels.count)
        let sum = histogram.enumerated().reduce(0.0) { $0 + Double($1.offset) * $1.element }
        var below = 0.0, belowSum = 0.0, best = 0.0, threshold = 0
        for level in 0..<256 {
            below += histogram[level]
            belowSum += Double(level) * histogram[level]
            let above = total - below
            guard below > 0, above > 0 else { continue }
            let meanBelow = belowSum / below, meanAbove = (sum - belowSum) / above
            let variance = below * above * (meanBelow - meanAbove) * (meanBelow - meanAbove)
            if variance > best { best = variance; threshold = level + 1 }
        }
        return UInt8(min(255, threshold))
    }

    /// SplitMix64 of (seed, index): the seeded order of the tile choice.
    private static func mix(_ seed: UInt64, _ index: Int) -> UInt64 {
        var z = seed &+ UInt64(index) &* 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

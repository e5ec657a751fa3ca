/// Turns the interleaved channels libpng decodes (gray, gray+alpha, RGB, RGBA) into one
/// gray sample per pixel.
///
/// - Colour: Rec. 709 / sRGB luma weights applied to the stored sample values,
///   `Y = 0.2126 R + 0.7152 G + 0.0722 B`, in exact integer arithmetic with rounding to
///   nearest. A gray colour (R = G = B) keeps its value exactly. For 8-bit sources the
///   samples are sRGB-encoded, so this is luma; for 16-bit sources libpng delivers
///   linear samples, so it is relative luminance.
/// - Alpha: the image is composited on black, `Y' = Y * A / max` rounded to nearest.
///   libpng's 16-bit (linear) output is already premultiplied by alpha, which is the
///   same compositing, so 16-bit alpha is only dropped.
enum GrayConversion {
    /// The channels of one decoded pixel, in libpng's order (gray or RGB, then alpha).
    struct Layout {
        var hasColor: Bool
        var hasAlpha: Bool
        /// True when libpng has already multiplied the colour channels by alpha.
        var premultiplied: Bool

        var channels: Int { (hasColor ? 3 : 1) + (hasAlpha ? 1 : 0) }
    }

    /// Luma weights in units of 1/10000; they sum to 10000.
    static let redWeight = 2126, greenWeight = 7152, blueWeight = 722

    /// One gray sample per pixel from `interleaved` samples laid out as `layout`.
    static func gray<Sample: FixedWidthInteger & UnsignedInteger>(
        from interleaved: [Sample], layout: Layout
    ) -> [Sample] {
        let channels = layout.channels
        if channels == 1 { return interleaved }
        let maxValue = Int(Sample.max)
        let pixelCount = interleaved.count / channels
        return [Sample](unsafeUninitializedCapacity: pixelCount) { output, initialized in
            interleaved.withUnsafeBufferPointer { input in
                for pixel in 0..<pixelCount {
                    let base = pixel * channels
                    var value: Int
                    if layout.hasColor {
                        let weighted = redWeight * Int(input[base]) + greenWeight * Int(input[base + 1])
                            + blueWeight * Int(input[base + 2])
                        value = (weighted + 5000) / 10000
                    } else {
                        value = Int(input[base])
                    }
                    if layout.hasAlpha && !layout.premultiplied {
                        let alpha = Int(input[base + channels - 1])
                        value = (value * alpha + maxValue / 2) / maxValue
                    }
                    output[pixel] = Sample(value)
                }
            }
            initialized = pixelCount
        }
    }
}

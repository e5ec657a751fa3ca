/// Cropping and resizing that keep the image's own bit depth.
extension GrayImage {
    /// The largest centred square: side `min(width, height)`, starting at column
    /// `(width - side) / 2` and row `(height - side) / 2` (rounded down).
    public func centerCroppedToSquare() -> GrayImage {
        let side = min(width, height)
        if side == width && side == height { return self }
        let left = (width - side) / 2, top = (height - side) / 2
        func crop<Sample>(_ values: [Sample]) -> [Sample] {
            var cropped: [Sample] = []
            cropped.reserveCapacity(side * side)
            for row in top..<(top + side) {
                cropped.append(contentsOf: values[(row * width + left)..<(row * width + left + side)])
            }
            return cropped
        }
        switch samples {
        case .uint8(let values): return GrayImage(width: side, height: side, samples: .uint8(crop(values)))
        case .uint16(let values): return GrayImage(width: side, height: side, samples: .uint16(crop(values)))
        }
    }

    /// The image resampled to `newWidth` × `newHeight`, each axis on its own:
    /// - shrinking uses exact area averaging: every output pixel is the mean of the
    ///   source area it covers, partly covered source pixels weighted by their covered
    ///   fraction (a box filter);
    /// - enlarging uses bilinear interpolation with pixel centres aligned
    ///   (`source = (i + 0.5) * oldSize / newSize - 0.5`, clamped at the edges);
    /// - an unchanged axis is copied.
    ///
    /// Results are rounded to nearest and stay in the image's bit depth.
    ///
    /// - Precondition: `newWidth > 0`, `newHeight > 0` and the image is not empty.
    public func resized(width newWidth: Int, height newHeight: Int) -> GrayImage {
        precondition(newWidth > 0 && newHeight > 0, "resize target must be positive")
        precondition(width > 0 && height > 0, "cannot resize an empty image")
        if newWidth == width && newHeight == height { return self }
        let columns = ResamplingTaps(from: width, to: newWidth)
        let rows = ResamplingTaps(from: height, to: newHeight)
        switch samples {
        case .uint8(let values):
            let resampled: [UInt8] = resample(values, columns: columns, rows: rows)
            return GrayImage(width: newWidth, height: newHeight, samples: .uint8(resampled))
        case .uint16(let values):
            let resampled: [UInt16] = resample(values, columns: columns, rows: rows)
            return GrayImage(width: newWidth, height: newHeight, samples: .uint16(resampled))
        }
    }

    /// The centred square crop resized to `side` × `side`: how images are prepared for
    /// training by default (``SquareFit/crop``).
    public func centerSquare(resizedTo side: Int) -> GrayImage {
        centerCroppedToSquare().resized(width: side, height: side)
    }

    /// The image made square by `fit`, resized to `side` × `side`.
    public func square(_ fit: SquareFit, resizedTo side: Int) -> GrayImage {
        switch fit {
        case .crop: centerSquare(resizedTo: side)
        case .pad: paddedToSquare().resized(width: side, height: side)
        }
    }

    /// The image centred in a black square of side `max(width, height)` (the extra row or
    /// column of an odd margin goes to the bottom or right).
    public func paddedToSquare() -> GrayImage {
        let side = max(width, height)
        if side == width && side == height { return self }
        let left = (side - width) / 2, top = (side - height) / 2
        func pad<Sample: FixedWidthInteger>(_ values: [Sample]) -> [Sample] {
            var padded = [Sample](repeating: 0, count: side * side)
            for row in 0..<height {
                padded.replaceSubrange(((top + row) * side + left)..<((top + row) * side + left + width),
                                       with: values[(row * width)..<((row + 1) * width)])
            }
            return padded
        }
        switch samples {
        case .uint8(let values): return GrayImage(width: side, height: side, samples: .uint8(pad(values)))
        case .uint16(let values): return GrayImage(width: side, height: side, samples: .uint16(pad(values)))
        }
    }

    /// Separable resampling: rows first into a `Double` buffer, then columns.
    private func resample<Sample: FixedWidthInteger & UnsignedInteger>(
        _ values: [Sample], columns: ResamplingTaps, rows: ResamplingTaps
    ) -> [Sample] {
        let newWidth = columns.outputCount, newHeight = rows.outputCount
        var horizontal = [Double](repeating: 0, count: height * newWidth)
        for y in 0..<height {
            let sourceRow = y * width
            for x in 0..<newWidth {
                var sum = 0.0
                for (offset, weight) in columns.weights[x].enumerated() {
                    sum += weight * Double(values[sourceRow + columns.starts[x] + offset])
                }
                horizontal[y * newWidth + x] = sum
            }
        }
        let maxValue = Double(Sample.max)
        var output = [Sample](repeating: 0, count: newWidth * newHeight)
        for y in 0..<newHeight {
            for x in 0..<newWidth {
                var sum = 0.0
                for (offset, weight) in rows.weights[y].enumerated() {
                    sum += weight * horizontal[(rows.starts[y] + offset) * newWidth + x]
                }
                output[y * newWidth + x] = Sample(min(max(sum.rounded(), 0), maxValue))
            }
        }
        return output
    }
}

/// For one axis of a resize: which source samples feed each output sample, and with
/// what weights (summing to 1).
struct ResamplingTaps {
    /// The first source index contributing to each output index.
    var starts: [Int]
    /// The weights of consecutive source indices from `starts[i]` on.
    var weights: [[Double]]

    var outputCount: Int { starts.count }

    init(from sourceCount: Int, to outputCount: Int) {
        starts = []
        weights = []
        starts.reserveCapacity(outputCount)
        weights.reserveCapacity(outputCount)
        for index in 0..<outputCount {
            let (start, taps) = sourceCount > outputCount
                ? Self.areaTaps(index, from: sourceCount, to: outputCount)
                : Self.bilinearTaps(index, from: sourceCount, to: outputCount)
            starts.append(start)
            weights.append(taps)
        }
    }

    /// Box filter. Measured in units of 1/outputCount of a source pixel, output pixel
    /// `index` covers `[index * source, (index + 1) * source)` and source pixel `j`
    /// covers `[j * output, (j + 1) * output)`, so overlaps are exact integers.
    private static func areaTaps(_ index: Int, from source: Int, to output: Int) -> (Int, [Double]) {
        let low = index * source, high = (index + 1) * source
        let first = low / output, last = (high - 1) / output
        let taps = (first...last).map { j in
            Double(min(high, (j + 1) * output) - max(low, j * output)) / Double(source)
        }
        return (first, taps)
    }

    /// Linear interpolation between the two nearest source centres.
    private static func bilinearTaps(_ index: Int, from source: Int, to output: Int) -> (Int, [Double]) {
        let centre = (Double(index) + 0.5) * Double(source) / Double(output) - 0.5
        let clamped = min(max(centre, 0), Double(source - 1))
        let left = Int(clamped.rounded(.down))
        if left == source - 1 { return (left, [1]) }
        let fraction = clamped - Double(left)
        return (left, [1 - fraction, fraction])
    }
}

/// A decoded NIfTI volume: its first 3-D volume's voxels (scaled by `scl_slope` and
/// `scl_inter`), where its axes point, and its intensity window; cut into slices with
/// ``forEachSlice(_:maxPixels:totalMaxPixels:_:)``.
///
/// Read one with ``NIfTIDecoder/volume(_:path:maxVoxels:windowPercentiles:valueWindow:)``.
public struct NIfTIVolume: Sendable {
    /// The file, as named in errors.
    public let path: String
    /// Voxels along the stored axes i, j, k.
    public let shape: [Int]
    /// Millimetres per voxel along i, j, k (the lengths of the affine's columns).
    public let spacing: [Double]
    /// Where each stored axis points, as nibabel's `aff2axcodes` letters: `"RAS"` when i
    /// runs towards the patient's right, j anterior, k superior; `"LPS"` for DICOM order.
    public let axisCodes: String
    /// The values mapped to 0 and 65535 (the window percentiles, or the fixed value window); equal bounds mean a
    /// volume with (almost) one value, where values above it map to 65535 and the rest to 0.
    public let window: (low: Float, high: Float)
    let geometry: NIfTIGeometry
    /// `shape` product values, i fastest, then j, then k.
    let voxels: [Float]

    init(path: String, shape: [Int], geometry: NIfTIGeometry, voxels: [Float], windowPercentiles: ClosedRange<Double>,
         valueWindow: ClosedRange<Double>? = nil) {
        self.path = path
        self.shape = shape
        self.geometry = geometry
        self.spacing = geometry.spacing
        self.axisCodes = geometry.axisCodes
        self.voxels = voxels
        self.window = valueWindow.map { (Float($0.lowerBound), Float($0.upperBound)) }
            ?? Self.percentiles(of: voxels, windowPercentiles)
    }

    /// The number of slices along `plane`.
    public func sliceCount(_ plane: AnatomicalPlane) -> Int {
        shape[geometry.voxelAxis[plane.displayAxes.stack.0]]
    }

    /// The largest pixel count a slice may reach through resampling, relative to its
    /// voxels: the coarser in-plane axis is stretched at most this much.
    static let maxUpsampling = 8.0

    /// Calls `body` with each slice `options` keeps: plane by plane in `options.planes`
    /// order, each in stack order.
    ///
    /// Each slice is cut in the orientation of ``AnatomicalPlane``, windowed, checked for
    /// foreground, then resampled to square pixels (``GrayImage/resized(width:height:)``:
    /// area averaging down, bilinear up) of side `max(min(a, b), max(a, b) / 8)` for
    /// in-plane spacings `a`, `b`: the finer spacing, unless that would stretch the other
    /// axis more than 8 times.
    ///
    /// - Parameters:
    ///   - maxPixels: the most pixels of one resampled slice (checked before resampling).
    ///   - totalMaxPixels: the most pixels of all kept slices together, or nil for no limit.
    /// - Throws: ``ImagingError`` `.dimensions` naming ``path`` when a limit is exceeded,
    ///   or what `body` throws.
    @discardableResult
    public func forEachSlice(
        _ options: NIfTISliceOptions = NIfTISliceOptions(), maxPixels: Int, totalMaxPixels: Int? = nil,
        _ body: (NIfTISlice) throws(ImagingError) -> Void
    ) throws(ImagingError) -> SliceTally {
        var total = 0
        var tally = SliceTally()
        let threshold = Self.level(Float(min(max(options.foregroundLevel, 0), 1)), low: 0, high: 1)
        for plane in options.planes {
            let cut = SliceCut(volume: self, plane: plane)
            let side = max(min(cut.columnSpacing, cut.rowSpacing), max(cut.columnSpacing, cut.rowSpacing) / Self.maxUpsampling)
            // Each factor is at most 8 (spacings are positive and finite), so the sizes fit.
            let width = max(1, Int((Double(cut.width) * cut.columnSpacing / side).rounded()))
            let height = max(1, Int((Double(cut.height) * cut.rowSpacing / side).rounded()))
            let (pixels, overflow) = width.multipliedReportingOverflow(by: height)
            for index in 0..<cut.depth {
                let position = (Double(index) + 0.5) / Double(cut.depth)
                guard options.sliceRanges.contains(where: { $0.contains(position) }) else { continue }
                tally.considered += 1
                let samples = cut.samples(at: index) { Self.level($0, low: window.low, high: window.high) }
                let foreground = samples.reduce(0) { $1 > threshold ? $0 + 1 : $0 }
                guard Double(foreground) >= options.minForegroundFraction * Double(samples.count) else { continue }
                guard !overflow, pixels <= maxPixels else {
                    throw ImagingError(
                        .dimensions, path: path,
                        reason: "\(plane) slice resampled to \(width)x\(height) exceeds the limit of \(maxPixels) pixels")
                }
                total += pixels
                if let totalMaxPixels, total > totalMaxPixels {
                    throw ImagingError(
                        .dimensions, path: path, reason: "the slices together exceed the limit of \(totalMaxPixels) pixels")
                }
                let image = GrayImage(width: cut.width, height: cut.height, samples: .uint16(samples))
                tally.kept += 1
                try body(NIfTISlice(plane: plane, index: index, image: image.resized(width: width, height: height)))
            }
        }
        return tally
    }

    /// `value` windowed to 0…65535: linear from `low` to `high`, clamped, rounded to
    /// nearest; NaN → 0; for `high <= low`, 65535 above `low` and 0 otherwise.
    static func level(_ value: Float, low: Float, high: Float) -> UInt16 {
        if value.isNaN { return 0 }
        guard high > low else { return value > low ? 65535 : 0 }
        let mapped = (Double(value) - Double(low)) / (Double(high) - Double(low)) * 65535
        return UInt16(min(max(mapped, 0), 65535).rounded())
    }

    /// Finite voxels at most this many are sorted exactly for the window; larger volumes
    /// are sampled.
    static let maxWindowSample = 1 << 20

    /// The `range` percentiles (linear interpolation between order statistics, as numpy's
    /// default) of the finite values. With more than ``maxWindowSample`` voxels, one voxel
    /// from each run of `ceil(count / maxWindowSample)` consecutive voxels is used, picked
    /// by a fixed hash of the run's number, so the window is the same on every read and
    /// does not alias with the grid. No finite value gives `(0, 0)`.
    static func percentiles(of values: [Float], _ range: ClosedRange<Double>) -> (low: Float, high: Float) {
        var sample: [Float] = []
        if values.count <= maxWindowSample {
            sample = values.filter(\.isFinite)
        } else {
            let run = (values.count + maxWindowSample - 1) / maxWindowSample
            sample.reserveCapacity(maxWindowSample)
            var start = 0, number: UInt64 = 0
            while start < values.count {
                let length = min(run, values.count - start)
                let value = values[start + Int(mix(number) % UInt64(length))]
                if value.isFinite { sample.append(value) }
                start += length
                number += 1
            }
        }
        guard !sample.isEmpty else { return (0, 0) }
        sample.sort()
        func percentile(_ p: Double) -> Float {
            let position = min(max(p, 0), 100) / 100 * Double(sample.count - 1)
            let below = Int(position.rounded(.down)), above = min(below + 1, sample.count - 1)
            let fraction = position - Double(below)
            return Float(Double(sample[below]) * (1 - fraction) + Double(sample[above]) * fraction)
        }
        return (percentile(range.lowerBound), percentile(range.upperBound))
    }

    /// SplitMix64's finaliser: a fixed, well-spread hash.
    private static func mix(_ value: UInt64) -> UInt64 {
        var z = value &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// How the slices of one plane walk the voxel array.
private struct SliceCut {
    var width, height, depth: Int
    var columnSpacing, rowSpacing: Double
    /// Voxel index of display pixel (0, 0) of slice 0, and the index steps per column,
    /// row and slice (negative along flipped axes).
    var origin, columnStep, rowStep, stackStep: Int
    var voxels: [Float]

    init(volume: NIfTIVolume, plane: AnatomicalPlane) {
        let shape = volume.shape, geometry = volume.geometry
        let strides = [1, shape[0], shape[0] * shape[1]]
        var origin = 0
        /// (voxel count, step, spacing) of the display axis along world axis `world` in direction `sign`.
        func walk(_ axis: (world: Int, sign: Int)) -> (Int, Int, Double) {
            let voxelAxis = geometry.voxelAxis[axis.world]
            let count = shape[voxelAxis]
            if geometry.direction[voxelAxis] * axis.sign > 0 { return (count, strides[voxelAxis], geometry.spacing[voxelAxis]) }
            origin += (count - 1) * strides[voxelAxis]
            return (count, -strides[voxelAxis], geometry.spacing[voxelAxis])
        }
        let axes = plane.displayAxes
        (width, columnStep, columnSpacing) = walk(axes.columns)
        (height, rowStep, rowSpacing) = walk(axes.rows)
        (depth, stackStep, _) = walk(axes.stack)
        self.origin = origin
        self.voxels = volume.voxels
    }

    /// The `width * height` samples of slice `index`, row-major, through `level`.
    func samples(at index: Int, _ level: (Float) -> UInt16) -> [UInt16] {
        [UInt16](unsafeUninitializedCapacity: width * height) { buffer, initialized in
            voxels.withUnsafeBufferPointer { source in
                var target = 0
                for row in 0..<height {
                    var voxel = origin + index * stackStep + row * rowStep
                    for _ in 0..<width {
                        buffer[target] = level(source[voxel])
                        target += 1
                        voxel += columnStep
                    }
                }
            }
            initialized = width * height
        }
    }
}

/// An anatomical plane a volume is cut along.
///
/// Slices are shown in the radiological convention, whatever the file's storage order
/// (world axes are NIfTI's RAS+: +x = patient Right, +y = Anterior, +z = Superior):
///
/// | plane | image right is | image down is | slices run (index 0 first) |
/// |---|---|---|---|
/// | axial | patient left (−x) | posterior (−y) | inferior → superior (+z) |
/// | coronal | patient left (−x) | inferior (−z) | posterior → anterior (+y) |
/// | sagittal | posterior (−y) | inferior (−z) | patient left → right (+x) |
///
/// So an axial slice is seen from the feet with anterior at the top, a coronal slice
/// from the front with superior at the top, a sagittal slice from the patient's left
/// with anterior on the left.
public enum AnatomicalPlane: String, Sendable, Hashable, Codable, CaseIterable, CustomStringConvertible {
    case axial, coronal, sagittal

    /// `"axial"`, `"coronal"` or `"sagittal"`.
    public var description: String { rawValue }

    /// The display axes as (world axis 0/1/2 = x/y/z, direction ±1): image columns
    /// (left → right), image rows (top → bottom), and the slice stack.
    var displayAxes: (columns: (Int, Int), rows: (Int, Int), stack: (Int, Int)) {
        switch self {
        case .axial: ((0, -1), (1, -1), (2, 1))
        case .coronal: ((0, -1), (2, -1), (1, 1))
        case .sagittal: ((1, -1), (2, -1), (0, 1))
        }
    }
}

/// Which 2-D slices a NIfTI volume gives, and how their intensities are mapped.
///
/// Intensities: the voxels (after `scl_slope`/`scl_inter`) are mapped linearly from the
/// volume's `windowPercentiles` (0.5 %…99.5 % by default), or from a fixed `valueWindow`,
/// to 0…65535 and clamped, one window for every slice of the volume; NaN → 0.
///
/// A slice is kept when it lies in one of `sliceRanges` and at least `minForegroundFraction` of
/// its pixels are foreground: above `foregroundLevel` of the window (0.1: a tenth of
/// the way from the low to the high percentile), which leaves out slices of air or
/// empty background at the ends of a scan. Set `minForegroundFraction` to 0 to keep
/// every slice in the range.
///
/// The defaults (axial slices only, 10 % foreground) are what image folders use: a
/// class folder is one kind of image, and mixing planes in one class would teach the
/// model a blend; put coronal or sagittal volumes' slices in their own class through
/// this library API.
public struct NIfTISliceOptions: Sendable, Hashable, Codable {
    /// The planes to cut, in the order their slices are given.
    public var planes: [AnatomicalPlane]
    /// The parts of each plane's stack to consider, as fractions of its extent from the
    /// first slice (0) to the last (1) in the order of ``AnatomicalPlane``: slice `s` of
    /// `n` is considered when `(s + 0.5) / n` is in one of the ranges. Several ranges hold
    /// out slabs: `[0...0.18, 0.3...1]` leaves out the slices between 18 % and 30 %.
    public var sliceRanges: [ClosedRange<Double>]
    /// The smallest share of foreground pixels a kept slice has (0…1).
    public var minForegroundFraction: Double
    /// The windowed level above which a pixel is foreground, as a fraction of the window (0…1).
    public var foregroundLevel: Double
    /// The percentiles of the volume's finite voxels mapped to 0 and 65535 (0…100), unless
    /// ``valueWindow`` is given.
    public var windowPercentiles: ClosedRange<Double>
    /// Voxel values (after `scl_slope`/`scl_inter`) mapped to 0 and 65535, e.g. `-160...240`
    /// for a CT in Hounsfield units seen through the brain window C 40, W 400; nil: the
    /// ``windowPercentiles``.
    public var valueWindow: ClosedRange<Double>?

    public init(
        planes: [AnatomicalPlane] = [.axial], sliceRanges: [ClosedRange<Double>] = [0...1],
        minForegroundFraction: Double = 0.1, foregroundLevel: Double = 0.1,
        windowPercentiles: ClosedRange<Double> = 0.5...99.5, valueWindow: ClosedRange<Double>? = nil
    ) {
        self.planes = planes
        self.sliceRanges = sliceRanges
        self.minForegroundFraction = minForegroundFraction
        self.foregroundLevel = foregroundLevel
        self.windowPercentiles = windowPercentiles
        self.valueWindow = valueWindow
    }

    private enum CodingKeys: String, CodingKey {
        case planes, sliceRanges, sliceRange, minForegroundFraction, foregroundLevel, windowPercentiles, valueWindow
    }

    /// Reads options stored before ``sliceRanges`` replaced a single `sliceRange`, or before
    /// ``valueWindow`` existed.
    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let ranges = try container.decodeIfPresent([ClosedRange<Double>].self, forKey: .sliceRanges)
            ?? [try container.decode(ClosedRange<Double>.self, forKey: .sliceRange)]
        self.init(planes: try container.decode([AnatomicalPlane].self, forKey: .planes), sliceRanges: ranges,
                  minForegroundFraction: try container.decode(Double.self, forKey: .minForegroundFraction),
                  foregroundLevel: try container.decode(Double.self, forKey: .foregroundLevel),
                  windowPercentiles: try container.decode(ClosedRange<Double>.self, forKey: .windowPercentiles),
                  valueWindow: try container.decodeIfPresent(ClosedRange<Double>.self, forKey: .valueWindow))
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(planes, forKey: .planes)
        try container.encode(sliceRanges, forKey: .sliceRanges)
        try container.encode(minForegroundFraction, forKey: .minForegroundFraction)
        try container.encode(foregroundLevel, forKey: .foregroundLevel)
        try container.encode(windowPercentiles, forKey: .windowPercentiles)
        try container.encodeIfPresent(valueWindow, forKey: .valueWindow)
    }
}

/// One 2-D slice of a NIfTI volume.
public struct NIfTISlice: Sendable, Hashable {
    /// The plane it was cut along.
    public var plane: AnatomicalPlane
    /// Its position in the plane's stack (0-based, in the order of ``AnatomicalPlane``).
    public var index: Int
    /// The slice, 16-bit, oriented as ``AnatomicalPlane`` says and resampled to square pixels.
    public var image: GrayImage

    /// How a dataset names the slice after the file: `"axial-042"` (index padded to 3 digits).
    public var name: String {
        let digits = String(index)
        return "\(plane.rawValue)-\(String(repeating: "0", count: max(0, 3 - digits.count)))\(digits)"
    }
}

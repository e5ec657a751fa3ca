import Foundation
import Testing
import PhantomImaging

/// A NIfTI-1 or NIfTI-2 file written field by field from the format's layout, independent
/// of the code under test.
struct NIfTIFixture {
    /// `dim[1...]`; `dim[0]` is its count unless `rank` says otherwise.
    var shape: [Int64]
    /// Voxel values in storage order (i fastest).
    var values: [Double]
    var datatype: Int = 4
    var spacing: [Double] = [1, 1, 1]
    var qfac: Double = 1
    var qformCode = 0
    var quaternion: [Double] = [0, 0, 0]
    var sformCode = 0
    var sform: [[Double]] = [[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0]]
    var slope: Double = 1
    var intercept: Double = 0
    var version = 1
    var bigEndian = false
    var rank: Int64?
    var voxOffset: Double?
    var magic: [UInt8]?

    var headerSize: Int { version == 1 ? 348 : 540 }

    func bytes() -> [UInt8] {
        // The data go at vox_offset when it is a sensible position, else after the header.
        let offset = voxOffset.flatMap { $0.isFinite && $0 >= 0 && $0 < 1e6 ? Int($0) : nil } ?? headerSize + 4
        let size = NIfTIFixture.bytesPerVoxel(datatype)
        var out = [UInt8](repeating: 0, count: max(offset, headerSize + 4) + values.count * size)
        func put<T: FixedWidthInteger>(_ value: T, _ at: Int) {
            let ordered = bigEndian ? value.bigEndian : value.littleEndian
            withUnsafeBytes(of: ordered) { for (index, byte) in $0.enumerated() { out[at + index] = byte } }
        }
        func real(_ value: Double, _ at: Int) {
            if version == 1 { put(Float(value).bitPattern, at) } else { put(value.bitPattern, at) }
        }
        func code(_ value: Int, _ at: Int) {
            if version == 1 { put(Int16(value), at) } else { put(Int32(value), at) }
        }
        let dims: [Int64] = [rank ?? Int64(shape.count)] + shape + Array(repeating: 1, count: 7 - shape.count)
        let pixdim = [qfac] + spacing + Array(repeating: 1, count: 7 - spacing.count)
        if version == 1 {
            put(Int32(348), 0)
            for (index, dim) in dims.enumerated() { put(Int16(truncatingIfNeeded: dim), 40 + 2 * index) }
            put(Int16(datatype), 70)
            put(Int16(size * 8), 72)
            for (index, value) in pixdim.enumerated() { real(value, 76 + 4 * index) }
            real(voxOffset ?? Double(offset), 108)
            real(slope, 112)
            real(intercept, 116)
            code(qformCode, 252)
            code(sformCode, 254)
            for (index, value) in (quaternion + [0, 0, 0]).enumerated() { real(value, 256 + 4 * index) }
            for row in 0..<3 { for column in 0..<4 { real(sform[row][column], 280 + 16 * row + 4 * column) } }
            for (index, byte) in (magic ?? Array("n+1\0".utf8)).enumerated() { out[344 + index] = byte }
        } else {
            put(Int32(540), 0)
            for (index, byte) in (magic ?? [0x6E, 0x2B, 0x32, 0, 0x0D, 0x0A, 0x1A, 0x0A]).enumerated() { out[4 + index] = byte }
            put(Int16(datatype), 12)
            put(Int16(size * 8), 14)
            for (index, dim) in dims.enumerated() { put(dim, 16 + 8 * index) }
            for (index, value) in pixdim.enumerated() { real(value, 104 + 8 * index) }
            put(voxOffset.flatMap { $0.isFinite && abs($0) < 1e18 ? Int64($0) : nil } ?? Int64(offset), 168)
            real(slope, 176)
            real(intercept, 184)
            code(qformCode, 344)
            code(sformCode, 348)
            for (index, value) in (quaternion + [0, 0, 0]).enumerated() { real(value, 352 + 8 * index) }
            for row in 0..<3 { for column in 0..<4 { real(sform[row][column], 400 + 32 * row + 8 * column) } }
        }
        for (index, value) in values.enumerated() {
            let at = offset + index * size
            switch datatype {
            case 2: out[at] = UInt8(value)
            case 256: out[at] = UInt8(bitPattern: Int8(value))
            case 4: put(Int16(value), at)
            case 512: put(UInt16(value), at)
            case 8: put(Int32(value), at)
            case 16: put(Float(value).bitPattern, at)
            case 64: put(value.bitPattern, at)
            default: break
            }
        }
        return out
    }

    static func bytesPerVoxel(_ datatype: Int) -> Int {
        switch datatype {
        case 2, 256: 1
        case 4, 512: 2
        case 8, 16: 4
        case 64: 8
        case 128: 3
        default: 8
        }
    }
}

/// gzip (the command-line tool) of `bytes`.
func gzipped(_ bytes: [UInt8]) throws -> [UInt8] {
    try withTemporaryDirectory { folder in
        let path = folder + "/data"
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/gzip")
        process.arguments = ["-n", "-6", path]
        try process.run()
        process.waitUntilExit()
        return Array(try Data(contentsOf: URL(fileURLWithPath: path + ".gz")))
    }
}

/// A test volume defined in world terms: `world` voxels along x (towards the patient's
/// Right), y (Anterior), z (Superior), value `1 + X + 10 Y + 100 Z` at world index
/// (X, Y, Z), stored with voxel axis `a` along world axis `axes[a]`, reversed where `flips[a]`.
struct WorldVolume {
    static let world = [6, 5, 4]
    static func value(_ x: Int, _ y: Int, _ z: Int) -> Double { Double(1 + x + 10 * y + 100 * z) }

    var axes: [Int]
    var flips: [Bool]

    var shape: [Int] { axes.map { Self.world[$0] } }

    /// Values in storage order.
    var values: [Double] {
        let shape = self.shape
        var values: [Double] = []
        for k in 0..<shape[2] {
            for j in 0..<shape[1] {
                for i in 0..<shape[0] {
                    var index = [0, 0, 0]
                    for (axis, position) in [i, j, k].enumerated() {
                        index[axes[axis]] = flips[axis] ? shape[axis] - 1 - position : position
                    }
                    values.append(Self.value(index[0], index[1], index[2]))
                }
            }
        }
        return values
    }

    /// The 3×3 direction matrix (unit columns) of the storage axes.
    var directions: [[Double]] {
        var matrix = [[Double]](repeating: [0, 0, 0], count: 3)
        for axis in 0..<3 { matrix[axes[axis]][axis] = flips[axis] ? -1 : 1 }
        return matrix
    }

    /// A fixture with the storage described by an sform.
    func withSform(_ spacing: [Double] = [1, 1, 1], rotatedAboutZ degrees: Double = 0) -> NIfTIFixture {
        let angle = degrees * .pi / 180
        let rotation = [[cos(angle), -sin(angle), 0], [sin(angle), cos(angle), 0], [0, 0, 1.0]]
        let d = directions
        let rows = (0..<3).map { row in
            (0..<3).map { column in (0..<3).reduce(0) { $0 + rotation[row][$1] * d[$1][column] } * spacing[column] } + [7]
        }
        return NIfTIFixture(shape: shape.map(Int64.init), values: values, spacing: spacing, sformCode: 2, sform: rows)
    }

    /// A fixture with the storage described by a qform quaternion (and `qfac` −1 for a
    /// left-handed storage), with no sform.
    func withQform(_ spacing: [Double] = [1, 1, 1]) -> NIfTIFixture {
        var r = directions
        let determinant = r[0][0] * (r[1][1] * r[2][2] - r[1][2] * r[2][1])
            - r[0][1] * (r[1][0] * r[2][2] - r[1][2] * r[2][0]) + r[0][2] * (r[1][0] * r[2][1] - r[1][1] * r[2][0])
        let qfac: Double = determinant < 0 ? -1 : 1
        if qfac < 0 { for row in 0..<3 { r[row][2] = -r[row][2] } }
        // Quaternion (a, b, c, d) of the proper rotation r (Shepperd's method).
        var q: [Double]
        let trace = r[0][0] + r[1][1] + r[2][2]
        if trace > 0 {
            let s = (trace + 1).squareRoot() * 2
            q = [s / 4, (r[2][1] - r[1][2]) / s, (r[0][2] - r[2][0]) / s, (r[1][0] - r[0][1]) / s]
        } else if r[0][0] > r[1][1] && r[0][0] > r[2][2] {
            let s = (1 + r[0][0] - r[1][1] - r[2][2]).squareRoot() * 2
            q = [(r[2][1] - r[1][2]) / s, s / 4, (r[0][1] + r[1][0]) / s, (r[0][2] + r[2][0]) / s]
        } else if r[1][1] > r[2][2] {
            let s = (1 + r[1][1] - r[0][0] - r[2][2]).squareRoot() * 2
            q = [(r[0][2] - r[2][0]) / s, (r[0][1] + r[1][0]) / s, s / 4, (r[1][2] + r[2][1]) / s]
        } else {
            let s = (1 + r[2][2] - r[0][0] - r[1][1]).squareRoot() * 2
            q = [(r[1][0] - r[0][1]) / s, (r[0][2] + r[2][0]) / s, (r[1][2] + r[2][1]) / s, s / 4]
        }
        if q[0] < 0 { q = q.map { -$0 } }
        return NIfTIFixture(
            shape: shape.map(Int64.init), values: values, spacing: spacing, qfac: qfac, qformCode: 1,
            quaternion: Array(q[1...3]))
    }

    /// The world index (X, Y, Z) that pixel (column, row) of slice `index` along `plane`
    /// shows in the radiological display convention.
    static func expectedWorld(_ plane: AnatomicalPlane, index: Int, column: Int, row: Int) -> [Int] {
        let (nx, ny, nz) = (world[0], world[1], world[2])
        switch plane {
        case .axial: return [nx - 1 - column, ny - 1 - row, index]
        case .coronal: return [nx - 1 - column, index, nz - 1 - row]
        case .sagittal: return [index, ny - 1 - column, nz - 1 - row]
        }
    }
}

/// All slices, no foreground filter, window = the full value range (so values invert exactly).
let everySlice = NIfTISliceOptions(
    planes: [.axial, .coronal, .sagittal], minForegroundFraction: 0, windowPercentiles: 0...100)

/// Checks that every pixel of every slice shows the world voxel the display convention says.
func expectWorldLayout(_ slices: [NIfTISlice], _ label: String, sourceLocation: SourceLocation = #_sourceLocation) {
    let world = WorldVolume.world
    let low = WorldVolume.value(0, 0, 0), high = WorldVolume.value(world[0] - 1, world[1] - 1, world[2] - 1)
    let counts: [AnatomicalPlane: Int] = [.axial: world[2], .coronal: world[1], .sagittal: world[0]]
    for plane in AnatomicalPlane.allCases {
        #expect(slices.filter { $0.plane == plane }.map(\.index) == Array(0..<counts[plane]!), "\(label) \(plane)",
                sourceLocation: sourceLocation)
    }
    var wrong = 0
    for slice in slices {
        let image = slice.image
        let expectedSize = switch slice.plane {
        case .axial: (world[0], world[1])
        case .coronal: (world[0], world[2])
        case .sagittal: (world[1], world[2])
        }
        guard image.width == expectedSize.0, image.height == expectedSize.1 else {
            Issue.record("\(label) \(slice.name): \(image.width)x\(image.height)", sourceLocation: sourceLocation)
            continue
        }
        for row in 0..<image.height {
            for column in 0..<image.width {
                let value = (low + Double(image[x: column, y: row]) / 65535 * (high - low)).rounded()
                let w = WorldVolume.expectedWorld(slice.plane, index: slice.index, column: column, row: row)
                if value != WorldVolume.value(w[0], w[1], w[2]) { wrong += 1 }
            }
        }
    }
    #expect(wrong == 0, "\(label): \(wrong) pixels show the wrong voxel", sourceLocation: sourceLocation)
}

@Suite struct NIfTIOrientationTests {
    /// The same anatomy stored in many axis orders and directions, described by method 1,
    /// an sform or a qform (right- and left-handed), gives the same slices.
    @Test func slicesFollowTheAffineWhateverTheStorageOrder() throws {
        let identity = WorldVolume(axes: [0, 1, 2], flips: [false, false, false])
        var method1 = identity.withSform()
        method1.sformCode = 0
        var cases: [(String, NIfTIFixture, String)] = [("method 1", method1, "RAS")]
        let storages: [(WorldVolume, String)] = [
            (identity, "RAS"),
            (WorldVolume(axes: [0, 1, 2], flips: [true, true, false]), "LPS"),
            (WorldVolume(axes: [1, 2, 0], flips: [true, false, true]), "PSL"),
            (WorldVolume(axes: [2, 0, 1], flips: [false, true, false]), "SLA"),
            (WorldVolume(axes: [1, 0, 2], flips: [false, false, false]), "ARS"),
            (WorldVolume(axes: [0, 2, 1], flips: [false, false, true]), "RSP"),
        ]
        for (storage, codes) in storages {
            cases.append(("sform \(codes)", storage.withSform(), codes))
            cases.append(("qform \(codes)", storage.withQform(), codes))
            // An oblique acquisition is cut along its nearest axes.
            cases.append(("sform \(codes) rotated 20°", storage.withSform(rotatedAboutZ: 20), codes))
        }
        for (label, fixture, codes) in cases {
            let bytes = fixture.bytes()
            let volume = try NIfTIDecoder.volume(bytes, path: "v.nii")
            #expect(volume.axisCodes == codes, "\(label)")
            expectWorldLayout(try NIfTIDecoder.decode(bytes, path: "v.nii", options: everySlice), label)
        }
    }

    /// With both codes set, the sform wins; a singular sform falls back to the qform.
    @Test func sformWinsOverQformUnlessItIsSingular() throws {
        let lps = WorldVolume(axes: [0, 1, 2], flips: [true, true, false])
        var both = lps.withSform()
        both.qformCode = 1  // a qform saying RAS, which must lose
        #expect(try NIfTIDecoder.volume(both.bytes(), path: "v.nii").axisCodes == "LPS")
        var singular = lps.withQform()
        singular.sformCode = 1
        singular.sform = [[0, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0]]
        #expect(try NIfTIDecoder.volume(singular.bytes(), path: "v.nii").axisCodes == "LPS")
        expectWorldLayout(try NIfTIDecoder.decode(singular.bytes(), path: "v.nii", options: everySlice), "singular sform")
    }

    /// Encodings: NIfTI-1 and NIfTI-2, little- and big-endian, gzip, and each datatype.
    @Test func everyEncodingGivesTheSameSlices() throws {
        let storage = WorldVolume(axes: [1, 2, 0], flips: [true, false, true])
        for version in [1, 2] {
            for bigEndian in [false, true] {
                for datatype in [4, 8, 16, 64, 512] {
                    var fixture = storage.withQform()
                    fixture.version = version
                    fixture.bigEndian = bigEndian
                    fixture.datatype = datatype
                    let label = "NIfTI-\(version) \(bigEndian ? "BE" : "LE") datatype \(datatype)"
                    expectWorldLayout(try NIfTIDecoder.decode(fixture.bytes(), path: "v.nii", options: everySlice), label)
                    expectWorldLayout(
                        try NIfTIDecoder.decode(try gzipped(fixture.bytes()), path: "v.nii.gz", options: everySlice),
                        label + " gz")
                }
            }
        }
    }

    /// A bright 4×4×4 marker at the patient's anterior-left-superior, in a spherical
    /// "head", appears at the top right of the upper axial slices, the top right of the
    /// anterior coronal slices and the top left of the left sagittal slices, with the
    /// default window and foreground filter, whatever the storage order.
    @Test func anteriorLeftSuperiorMarkerLandsWhereRadiologistsLook() throws {
        let n = 20
        for (label, flips) in [("RAS", [false, false, false]), ("LPS", [true, true, false]), ("LAI", [true, false, true])] {
            var voxels: [Double] = []
            for k in 0..<n {
                for j in 0..<n {
                    for i in 0..<n {
                        // World index: X towards the Right, Y Anterior, Z Superior.
                        let (x, y, z) = (flips[0] ? n - 1 - i : i, flips[1] ? n - 1 - j : j, flips[2] ? n - 1 - k : k)
                        let head = (x - 10) * (x - 10) + (y - 10) * (y - 10) + (z - 10) * (z - 10) < 64
                        let marker = (4..<8).contains(x) && (12..<16).contains(y) && (12..<16).contains(z)  // low x: left
                        voxels.append(marker ? 250 : head ? 100 : 0)
                    }
                }
            }
            var fixture = WorldVolume(axes: [0, 1, 2], flips: flips).withSform()
            fixture.shape = [20, 20, 20]
            fixture.values = voxels
            fixture.datatype = 2
            let slices = try NIfTIDecoder.decode(
                fixture.bytes(), path: "m.nii", options: NIfTISliceOptions(planes: [.axial, .coronal, .sagittal]))
            for plane in AnatomicalPlane.allCases {
                let kept = slices.filter { $0.plane == plane }
                // The head spans world slices 3...17 (the filter keeps those with ≥ 10% of it).
                #expect(kept.first?.index == 3 && kept.last?.index == 17, "\(label) \(plane)")
                let marked = kept.filter { values($0.image).contains(65535) }
                #expect(marked.map(\.index) == (plane == .sagittal ? [4, 5, 6, 7] : [12, 13, 14, 15]), "\(label) \(plane)")
                for slice in marked {
                    let samples = values(slice.image), width = slice.image.width
                    let brightest = samples.indices.filter { samples[$0] == 65535 }
                    let columns = Set(brightest.map { $0 % width }), rows = Set(brightest.map { $0 / width })
                    // Axial and coronal: patient left on image right (X 4...7 → columns 15...12),
                    // anterior or superior at the top (rows 4...7). Sagittal: anterior on image
                    // left (Y 12...15 → columns 7...4), superior at the top.
                    let expectedColumns: Set<Int> = plane == .sagittal ? [4, 5, 6, 7] : [12, 13, 14, 15]
                    #expect(columns == expectedColumns && rows == [4, 5, 6, 7], "\(label) \(slice.name)")
                    // The head (100) sits mid-window: one window for the volume, 0.5-99.5 percentiles.
                    #expect(samples[10 * width + 10] == 26214, "\(label) \(slice.name)")
                }
            }
        }
    }
}

@Suite struct NIfTISliceTests {
    /// Anisotropic voxels are resampled to square pixels of the finer spacing; a coarse
    /// axis is stretched at most 8×.
    @Test func spacingGivesSquarePixels() throws {
        let storage = WorldVolume(axes: [0, 1, 2], flips: [false, false, false])
        var fixture = storage.withSform([1, 1, 3])
        var slices = try NIfTIDecoder.decode(fixture.bytes(), path: "v.nii", options: everySlice)
        let size = { (plane: AnatomicalPlane) in slices.first { $0.plane == plane }.map { ($0.image.width, $0.image.height) }! }
        #expect(size(.axial) == (6, 5) && size(.coronal) == (6, 12) && size(.sagittal) == (5, 12))

        // The same through the qform, with spacing 2 × 0.5 × 1 (in-plane anisotropy too).
        fixture = storage.withQform([2, 0.5, 1])
        slices = try NIfTIDecoder.decode(fixture.bytes(), path: "v.nii", options: everySlice)
        #expect(size(.axial) == (24, 5) && size(.coronal) == (12, 4) && size(.sagittal) == (5, 8))

        // 0.5 × 0.5 × 10 mm: side max(0.5, 10 / 8) = 1.25 mm, so x shrinks to 6 × 0.4 ≈ 2.
        fixture = storage.withSform([0.5, 0.5, 10])
        slices = try NIfTIDecoder.decode(fixture.bytes(), path: "v.nii", options: everySlice)
        #expect(size(.axial) == (6, 5) && size(.coronal) == (2, 32) && size(.sagittal) == (2, 32))

        // Stretching interpolates between rows: a coronal column runs monotonically from superior to inferior.
        fixture = storage.withSform([1, 1, 3])
        slices = try NIfTIDecoder.decode(fixture.bytes(), path: "v.nii", options: everySlice)
        let coronal = slices.first { $0.plane == .coronal }!.image
        let column = (0..<coronal.height).map { coronal[x: 0, y: $0] }
        #expect(column == column.sorted(by: >) && Set(column).count > 4)
    }

    /// Slices with too little foreground are left out; the range option selects part of
    /// the stack; one window serves the whole volume; names carry plane and index.
    @Test func foregroundRangeAndSharedWindow() throws {
        // 8 x 8 x 10, axial slices 0-1 and 8-9 empty, slice 2 with 5% of its area, 3-7 full,
        // slice 5 twice as bright.
        var values = [Double](repeating: 0, count: 8 * 8 * 10)
        for k in 2...7 {
            for j in 0..<8 {
                for i in 0..<8 where k != 2 || (i < 3 && j == 0) {
                    values[i + 8 * (j + 8 * k)] = k == 5 ? 200 : 100
                }
            }
        }
        var fixture = NIfTIFixture(shape: [8, 8, 10], values: values)
        fixture.qformCode = 1
        let defaults = try NIfTIDecoder.decode(fixture.bytes(), path: "f.nii")
        #expect(defaults.map(\.name) == ["axial-003", "axial-004", "axial-005", "axial-006", "axial-007"])
        let levels = defaults.map { $0.image[x: 4, y: 4] }
        #expect(levels[0] == levels[1] && levels[2] > levels[1] && levels[2] == 65535 && levels[0] < 40000)
        #expect(defaults.allSatisfy { $0.image.bitDepth == .sixteen })

        let everything = try NIfTIDecoder.decode(
            fixture.bytes(), path: "f.nii", options: NIfTISliceOptions(minForegroundFraction: 0))
        #expect(everything.map(\.index) == Array(0..<10))
        let lower = try NIfTIDecoder.decode(
            fixture.bytes(), path: "f.nii", options: NIfTISliceOptions(sliceRanges: [0...0.5], minForegroundFraction: 0.01))
        #expect(lower.map(\.index) == [2, 3, 4])
        let slabs = try NIfTIDecoder.decode(
            fixture.bytes(), path: "f.nii", options: NIfTISliceOptions(sliceRanges: [0...0.3, 0.5...0.6], minForegroundFraction: 0.01))
        #expect(slabs.map(\.index) == [2, 5])

        // A negative scl_slope inverts intensities (scaling is applied before the window).
        fixture.slope = -1
        fixture.intercept = 500
        let inverted = try NIfTIDecoder.decode(fixture.bytes(), path: "f.nii", options: NIfTISliceOptions(minForegroundFraction: 0))
        #expect(inverted[5].image[x: 4, y: 4] == 0 && inverted[0].image[x: 4, y: 4] == 65535)

        // A fixed value window (a CT's Hounsfield window) replaces the percentiles: 300...700
        // after the inverting scale puts 400 (was 100) at a quarter, 300 (was 200) at 0 and 500
        // (empty) at a half.
        let fixed = try NIfTIDecoder.decode(fixture.bytes(), path: "f.nii",
                                            options: NIfTISliceOptions(minForegroundFraction: 0, valueWindow: 300...700))
        #expect(fixed[4].image[x: 4, y: 4] == 16384 && fixed[5].image[x: 4, y: 4] == 0)
        #expect(abs(Int(fixed[0].image[x: 4, y: 4]) - 32768) <= 1)

        // Through the image-source layer, a fixed DICOM window `C,W` windows the volume the same way.
        let throughSource = try ImageSource.decode(
            fixture.bytes(), path: "f.nii",
            reading: ImageReadOptions(dicomWindow: .fixed(center: 500, width: 400), nifti: NIfTISliceOptions(minForegroundFraction: 0)))
        #expect(throughSource == fixed.map(\.image))

        // A volume with no slice to keep is an error naming the file.
        let empty = NIfTIFixture(shape: [4, 4, 4], values: Array(repeating: 7, count: 64))
        let error = #expect(throws: ImagingError.self) { try NIfTIDecoder.decode(empty.bytes(), path: "flat.nii") }
        #expect(error?.kind == .noImages && error?.path == "flat.nii")
    }

    /// A 4-D file gives its first volume; the rest need not be read.
    @Test func fourDimensionalFilesGiveTheFirstVolume() throws {
        let first = WorldVolume(axes: [0, 1, 2], flips: [false, false, false])
        var fixture = first.withSform()
        fixture.shape = [6, 5, 4, 3]
        fixture.values = first.values + Array(repeating: 9999, count: 120)  // two more volumes, then cut one short
        fixture.values.removeLast(60)
        expectWorldLayout(try NIfTIDecoder.decode(fixture.bytes(), path: "t.nii", options: everySlice), "4-D")
    }
}

@Suite struct NIfTIFileTests {
    @Test func extensionsSignaturesAndDatasetNames() throws {
        #expect(ImageFormat(fileName: "a/brain.NII.GZ") == .nifti && ImageFormat(fileName: "b.nii") == .nifti)
        #expect(ImageFormat(fileName: "notes.gz") == nil && ImageFormat(fileName: "x.nii.gz.txt") == nil)
        #expect(ImageSource.isImageFile("sub-01_T1w.nii.gz") && ImageFormat.nifti.description == "NIfTI")
        let volume = WorldVolume(axes: [0, 1, 2], flips: [false, false, false]).withSform()
        #expect(ImageFormat(signatureOf: volume.bytes()) == .nifti)
        var two = volume
        two.version = 2
        two.bigEndian = true
        #expect(ImageFormat(signatureOf: two.bytes()) == .nifti)
        #expect(ImageFormat(signatureOf: try gzipped(volume.bytes())) == nil)  // by extension only

        try withTemporaryDirectory { root in
            // 8 x 8 x 6 volumes whose axial slices 1...4 are foreground.
            var values = [Double](repeating: 0, count: 8 * 8 * 6)
            for index in (64 * 1)..<(64 * 5) { values[index] = Double(100 + index % 7) }
            let fixture = NIfTIFixture(shape: [8, 8, 6], values: values)
            try writeFile(try gzipped(fixture.bytes()), at: "mri/sub-01.nii.gz", in: root)
            try writeFile(fixture.bytes(), at: "mri/sub-02.nii", in: root)
            // A gzipped file named .nii is still read (by its gzip signature).
            try writeFile(try gzipped(fixture.bytes()), at: "mri/sub-03.nii", in: root)
            try writeFile(try PNGEncoder.encode(uniformImage(width: 8, height: 8, value: 9)), at: "xray/a.png", in: root)

            let dataset = try ImageFolderDataset.load(root: root, resolution: 4)
            let paths = (0..<dataset.count).map(dataset.relativePath(at:))
            let slices = (1...4).map { "#axial-00\($0)" }
            #expect(paths == slices.map { "mri/sub-01.nii.gz" + $0 } + slices.map { "mri/sub-02.nii" + $0 }
                + slices.map { "mri/sub-03.nii" + $0 } + ["xray/a.png"])
            #expect(dataset.report.formatHistogram == [.nifti: 12, .png: 1])
            #expect(dataset.report.bitDepthHistogram == [.sixteen: 12, .eight: 1])
            #expect(dataset.report.sizeHistogram[ImageSize(width: 8, height: 8)] == 13)
            #expect(dataset.bitDepth == .sixteen)
            // ImageSource gives the same slices.
            #expect(try ImageSource.read(path: root + "/mri/sub-01.nii.gz").count == 4)
        }
    }

    /// Concatenated gzip members are one stream.
    @Test func multiMemberGzip() throws {
        let fixture = WorldVolume(axes: [2, 0, 1], flips: [false, true, false]).withQform()
        let bytes = fixture.bytes()
        let joined = try gzipped(Array(bytes.prefix(400))) + (try gzipped(Array(bytes.dropFirst(400))))
        expectWorldLayout(try NIfTIDecoder.decode(joined, path: "j.nii.gz", options: everySlice), "two members")
    }

    /// Every bad file is an ImagingError naming it; sizes are checked before allocating.
    @Test func badFilesAreErrorsNamingTheFile() throws {
        let good = WorldVolume(axes: [0, 1, 2], flips: [false, false, false]).withSform()
        let bytes = good.bytes()
        let zipped = try gzipped(bytes)
        func variant(_ change: (inout NIfTIFixture) -> Void) -> [UInt8] {
            var fixture = good
            change(&fixture)
            return fixture.bytes()
        }
        var scrambled = zipped
        for index in 20..<(scrambled.count - 8) where index % 2 == 0 { scrambled[index] ^= 0xA5 }
        var badCRC = zipped
        badCRC[badCRC.count - 6] ^= 0xFF

        let cases: [(name: String, bytes: [UInt8], kind: ImagingError.Kind, reason: String)] = [
            ("empty.nii", [], .corrupt, "empty"),
            ("short-header.nii", Array(bytes.prefix(200)), .corrupt, "truncated NIfTI-1 header"),
            ("cut-data.nii", Array(bytes.dropLast(1)), .corrupt, "truncated NIfTI data"),
            ("cut-data.nii.gz", try gzipped(Array(bytes.dropLast(10))), .corrupt, "truncated NIfTI data"),
            ("cut-stream.nii.gz", Array(zipped.prefix(zipped.count / 2)), .corrupt, "truncated gzip"),
            ("cut-header.nii.gz", try gzipped(Array(bytes.prefix(100))), .corrupt, "truncated NIfTI-1 header"),
            ("scrambled.nii.gz", scrambled, .corrupt, "gzip"),
            ("bad-crc.nii.gz", badCRC, .corrupt, "bad gzip data"),
            ("text.nii", Array("just some text, not a volume".utf8), .corrupt, "not a NIfTI file"),
            ("text.nii.gz", try gzipped(Array("just some text, not a volume".utf8)), .corrupt, "not a NIfTI file"),
            ("two-file.nii", variant { $0.magic = Array("ni1\0".utf8) }, .corrupt, "two-file"),
            ("analyze.nii", variant { $0.magic = [0, 0, 0, 0] }, .corrupt, "Analyze"),
            ("rank0.nii", variant { $0.rank = 0 }, .dimensions, "dim[0]"),
            ("rank9.nii", variant { $0.rank = 9 }, .dimensions, "dim[0]"),
            ("zero-dim.nii", variant { $0.shape = [6, 0, 4] }, .dimensions, "dim[2] = 0"),
            ("negative-dim.nii", variant { $0.shape = [-6, 5, 4] }, .dimensions, "dim[1] = -6"),
            ("huge.nii", variant { $0.shape = [32767, 32767, 32767] }, .dimensions, "exceeds the limit"),
            ("huge.nii.gz", try gzipped(variant { $0.shape = [30000, 30000, 200]; $0.values = [] }), .dimensions, "exceeds the limit"),
            ("absurd2.nii", variant { $0.version = 2; $0.shape = [1 << 40, 1 << 40, 1 << 40] }, .dimensions, "absurd"),
            ("rgb.nii", variant { $0.datatype = 128 }, .corrupt, "RGB24"),
            ("complex.nii", variant { $0.datatype = 32 }, .corrupt, "COMPLEX64"),
            ("unknown-type.nii", variant { $0.datatype = 3 }, .corrupt, "unsupported NIfTI datatype 3"),
            ("nan-offset.nii", variant { $0.voxOffset = .nan }, .corrupt, "vox_offset"),
            ("far-offset.nii", variant { $0.voxOffset = 1e9; $0.values = [] }, .corrupt, "truncated NIfTI data"),
            ("fraction-offset.nii", variant { $0.voxOffset = 352.5 }, .corrupt, "vox_offset"),
        ]
        try withTemporaryDirectory { folder in
            for (name, data, kind, reason) in cases {
                try writeFile(data, at: name, in: folder)
                let path = folder + "/" + name
                let error = #expect(throws: ImagingError.self, "\(name)") { try ImageSource.read(path: path) }
                #expect(error?.path == path, "\(name)")
                #expect(error?.kind == kind, "\(name): \(error?.reason ?? "")")
                #expect(error?.reason.contains(reason) == true, "\(name): \(error?.reason ?? "")")
            }
        }
        // The voxel limit applies to the volume (120 voxels here).
        #expect(throws: ImagingError.self) { try NIfTIDecoder.volume(bytes, path: "v.nii", maxVoxels: 119) }
        #expect(try NIfTIDecoder.volume(bytes, path: "v.nii", maxVoxels: 120).shape == [6, 5, 4])
    }
}

import CNIfTI

/// Where a NIfTI volume's voxel axes point in the patient, and the intensity scaling.
///
/// The affine (voxel indices → RAS+ millimetres: +x = patient Right, +y = Anterior,
/// +z = Superior) is the sform (`srow_x/y/z`) when `sform_code > 0`, else the qform:
/// niftilib's `nifti_quatern_to_dmat44` of the quaternion, offsets, spacings and `qfac`
/// when `qform_code > 0`, else `diag(pixdim[1...3])` (the NIfTI standard's "method 1",
/// as niftilib does; nibabel assumes a flipped x there instead). An sform that is not
/// finite or is singular falls back to the qform; if that gives no orientation either,
/// the volume is refused.
///
/// Orientation: niftilib's `nifti_dmat44_to_orientation` orthonormalises the affine's
/// 3×3 part and picks, of the 48 axis permutations and flips, the one closest to it
/// (largest trace): for each voxel axis the world axis it points along and in which
/// direction (an oblique volume gets its nearest axes; it is not resliced).
/// Spacing: the length of each voxel axis's affine column (mm per voxel).
struct NIfTIGeometry {
    /// For each voxel axis i, j, k: the world axis (0 = x, 1 = y, 2 = z) it points along.
    var worldAxis: [Int]
    /// For each voxel axis: +1 when a higher index moves towards +x/+y/+z (R, A, S), else −1.
    var direction: [Int]
    /// Millimetres per voxel along each voxel axis (1 when the affine gives no usable length).
    var spacing: [Double]
    /// `scl_slope` (1 when the header's is 0 or not finite) and `scl_inter`.
    var slope: Double
    var intercept: Double

    /// For each world axis x, y, z: the voxel axis pointing along it.
    var voxelAxis: [Int] { (0..<3).map { axis in worldAxis.firstIndex(of: axis)! } }

    /// nibabel's `aff2axcodes` letters: where each voxel axis points, e.g. `"RAS"`, `"LPS"`.
    var axisCodes: String {
        String(zip(worldAxis, direction).map { axis, sign in Array(sign > 0 ? "RAS" : "LPI")[axis] })
    }

    /// Reads the geometry of a header checked by ``NIfTIHeader`` (in the machine's byte order).
    ///
    /// - Throws: ``ImagingError`` `.corrupt` naming `path` when no affine gives an orientation.
    init(_ header: NIfTIHeader, path: String) throws(ImagingError) {
        _ = Self.debugSilenced
        let isOne = header.version == .one
        let fields = header.native
        /// A float32 field of NIfTI-1 or float64 field of NIfTI-2.
        func real(_ one: Int, _ two: Int) -> Double {
            fields.withUnsafeBytes {
                isOne ? Double($0.loadUnaligned(fromByteOffset: one, as: Float.self))
                    : $0.loadUnaligned(fromByteOffset: two, as: Double.self)
            }
        }
        /// An int16 field of NIfTI-1 or int32 field of NIfTI-2.
        func code(_ one: Int, _ two: Int) -> Int {
            fields.withUnsafeBytes {
                isOne ? Int($0.loadUnaligned(fromByteOffset: one, as: Int16.self))
                    : Int($0.loadUnaligned(fromByteOffset: two, as: Int32.self))
            }
        }
        func finite(_ value: Double) -> Double { value.isFinite ? value : 0 }
        // pixdim[0] is qfac; a zero or non-finite spacing counts as 1, as in niftilib.
        let pixdim = (0..<8).map { real(76 + 4 * $0, 104 + 8 * $0) }
        let spacing = (1...3).map { pixdim[$0].isFinite && pixdim[$0] != 0 ? pixdim[$0] : 1 }

        var candidates: [nifti_dmat44] = []
        if code(254, 348) > 0 {
            let rows = (0..<3).map { row in (0..<4).map { real(280 + 16 * row + 4 * $0, 400 + 32 * row + 8 * $0) } }
            candidates.append(nifti_dmat44(m: (
                (rows[0][0], rows[0][1], rows[0][2], rows[0][3]),
                (rows[1][0], rows[1][1], rows[1][2], rows[1][3]),
                (rows[2][0], rows[2][1], rows[2][2], rows[2][3]),
                (0, 0, 0, 1))))
        }
        if code(252, 344) > 0 {
            candidates.append(nifti_quatern_to_dmat44(
                finite(real(256, 352)), finite(real(260, 360)), finite(real(264, 368)),
                finite(real(268, 376)), finite(real(272, 384)), finite(real(276, 392)),
                spacing[0], spacing[1], spacing[2], pixdim[0] < 0 ? -1 : 1))
        } else {
            // The NIfTI standard's "method 1", for files with neither code.
            candidates.append(nifti_dmat44(m: (
                (spacing[0], 0, 0, 0), (0, spacing[1], 0, 0), (0, 0, spacing[2], 0), (0, 0, 0, 1))))
        }
        guard let (axes, signs, lengths) = candidates.lazy.compactMap(Self.orientation).first else {
            throw ImagingError(.corrupt, path: path, reason: "NIfTI qform and sform give no orientation (singular or not finite)")
        }
        worldAxis = axes
        direction = signs
        self.spacing = lengths
        let slope = real(112, 176), intercept = real(116, 184)
        self.slope = slope.isFinite && slope != 0 ? slope : 1
        self.intercept = intercept.isFinite ? intercept : 0
    }

    /// The axes, directions and column lengths of `affine`, or nil when niftilib finds no
    /// orientation (a zero, parallel or non-finite column).
    private static func orientation(_ affine: nifti_dmat44) -> ([Int], [Int], [Double])? {
        let m = affine.m
        let rows = [m.0, m.1, m.2]
        let columns = (0..<3).map { column in
            rows.map { row in [row.0, row.1, row.2][column] }
        }
        guard columns.allSatisfy({ $0.allSatisfy(\.isFinite) }) else { return nil }
        var codes: (Int32, Int32, Int32) = (0, 0, 0)
        nifti_dmat44_to_orientation(affine, &codes.0, &codes.1, &codes.2)
        // NIFTI_L2R = 1, R2L = 2, P2A = 3, A2P = 4, I2S = 5, S2I = 6.
        let list = [codes.0, codes.1, codes.2].map(Int.init)
        guard list.allSatisfy((1...6).contains) else { return nil }
        let axes = list.map { ($0 - 1) / 2 }
        guard Set(axes).count == 3 else { return nil }
        let signs = list.map { $0 % 2 == 1 ? 1 : -1 }
        let lengths = columns.map { column -> Double in
            let length = (column[0] * column[0] + column[1] * column[1] + column[2] * column[2]).squareRoot()
            return length.isFinite && length > 0 ? length : 1
        }
        return (axes, signs, lengths)
    }

    /// niftilib prints diagnostics to stderr above debug level 0.
    private static let debugSilenced: Void = nifti_set_debug_level(0)
}

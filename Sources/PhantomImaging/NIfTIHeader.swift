import CNIfTI

/// A NIfTI-1 or NIfTI-2 header in the machine's byte order (swapped by niftilib), with
/// the fields that say where the voxels are and how many, checked before anything is
/// allocated.
///
/// Layout (single-file `.nii`, either byte order, told apart by `sizeof_hdr`):
/// - NIfTI-1: 348 bytes; `sizeof_hdr` = 348 at 0, `dim` int16[8] at 40, `datatype`
///   int16 at 70, `vox_offset` float32 at 108, magic `"n+1\0"` at 344;
/// - NIfTI-2: 540 bytes; `sizeof_hdr` = 540 at 0, magic `"n+2\0\r\n\u{1A}\n"` at 4,
///   `datatype` int16 at 12, `dim` int64[8] at 16, `vox_offset` int64 at 168.
///
/// Checks: the magic (the two-file `ni1`/`ni2` form and Analyze 7.5 are refused),
/// `1 <= dim[0] <= 7`, every used `dim[i] >= 1`, the product of all used dims fits in
/// 64 bits, the first 3-D volume (`dim[1] * dim[2] * dim[3]` voxels) is within the
/// voxel limit, a datatype Phantom converts, and an integral `vox_offset`
/// (below the header's size it means "right after the header", as in niftilib).
struct NIfTIHeader {
    enum Version: Int { case one = 1, two = 2 }

    var version: Version
    /// The header's size: 348 or 540 bytes.
    var size: Int
    /// True when the file's byte order is not the machine's (so are its voxels).
    var swapped: Bool
    /// The header's `size` bytes in the machine's byte order.
    var native: [UInt8]
    /// The voxel grid of the first volume: `dim[1...3]`, 1 for dimensions beyond `dim[0]`.
    var shape: [Int]
    /// Further dimensions (time, …): `dim[4...dim[0]]`; only the first volume is read.
    var extraDimensions: [Int]
    var datatype: NIfTIDataType
    /// Where the voxels start in the (decompressed) file.
    var voxelOffset: Int

    /// `shape`'s product.
    var voxelCount: Int { shape.reduce(1, *) }
    /// The bytes of the first volume: `voxelCount * datatype.bytes`.
    var volumeBytes: Int { voxelCount * datatype.bytes }

    /// Bytes needed to tell the version: the larger header.
    static let maxSize = 540
    static let magic1: [UInt8] = Array("n+1\0".utf8)
    static let magic2: [UInt8] = [0x6E, 0x2B, 0x32, 0x00, 0x0D, 0x0A, 0x1A, 0x0A]

    /// True when `bytes` start with a single-file NIfTI-1 or NIfTI-2 header (either byte order).
    static func hasSignature(_ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBytes { raw in
            switch sizeofHeader(raw) {
            case (348, _): raw.count >= 348 && raw[344..<348].elementsEqual(magic1)
            case (540, _): raw.count >= 12 && raw[4..<12].elementsEqual(magic2)
            default: false
            }
        }
    }

    /// The header size (348 or 540) that a file starting with `prefix` (at least 4 bytes)
    /// has, or nil when it is not a NIfTI header.
    static func size(ofHeaderStartingWith prefix: UnsafeRawBufferPointer) -> Int? {
        let (size, _) = sizeofHeader(prefix)
        return size == 0 ? nil : size
    }

    /// `sizeof_hdr` read in the byte order that makes it 348 or 540, and whether that
    /// order is swapped; `(0, false)` when neither does.
    private static func sizeofHeader(_ raw: UnsafeRawBufferPointer) -> (Int, Bool) {
        guard raw.count >= 4 else { return (0, false) }
        let value = raw.loadUnaligned(as: Int32.self)
        if value == 348 || value == 540 { return (Int(value), false) }
        if value.byteSwapped == 348 || value.byteSwapped == 540 { return (Int(value.byteSwapped), true) }
        return (0, false)
    }

    /// Parses and checks the header at the start of `raw`.
    ///
    /// - Parameter maxVoxels: the most voxels of the first 3-D volume.
    /// - Throws: ``ImagingError`` naming `path`: `.corrupt` for a short, foreign or
    ///   unsupported header, `.dimensions` for bad or oversized dimensions.
    init(_ raw: UnsafeRawBufferPointer, path: String, maxVoxels: Int) throws(ImagingError) {
        func corrupt(_ reason: String) -> ImagingError { ImagingError(.corrupt, path: path, reason: reason) }
        let (headerSize, swapped) = Self.sizeofHeader(raw)
        guard headerSize != 0 else {
            throw corrupt(raw.count < 4 ? "truncated NIfTI header (\(raw.count) bytes)"
                : "not a NIfTI file (sizeof_hdr is neither 348 nor 540)")
        }
        guard raw.count >= headerSize else {
            throw corrupt("truncated NIfTI-\(headerSize == 348 ? 1 : 2) header (\(raw.count) of \(headerSize) bytes)")
        }
        self.size = headerSize
        self.swapped = swapped
        native = Self.nativeOrder(UnsafeRawBufferPointer(rebasing: raw[0..<headerSize]), swapped: swapped)
        let fields = native
        func int16(_ offset: Int) -> Int {
            fields.withUnsafeBytes { Int($0.loadUnaligned(fromByteOffset: offset, as: Int16.self)) }
        }
        func int64(_ offset: Int) -> Int64 {
            fields.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: offset, as: Int64.self) }
        }

        let dims: [Int64]
        let datatypeCode: Int
        let offset: Double
        if headerSize == 348 {
            version = .one
            let magic = Array(fields[344..<348])
            guard magic == Self.magic1 else {
                if magic == Array("ni1\0".utf8) {
                    throw corrupt("two-file NIfTI (.hdr/.img) is not supported; store it as one .nii or .nii.gz")
                }
                throw corrupt("not a NIfTI-1 file (no \"n+1\" magic; Analyze 7.5 is not supported)")
            }
            dims = (0..<8).map { Int64(int16(40 + 2 * $0)) }
            datatypeCode = int16(70)
            offset = Double(fields.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: 108, as: Float.self) })
        } else {
            version = .two
            let magic = Array(fields[4..<12])
            guard magic == Self.magic2 else {
                if magic.starts(with: Array("ni2\0".utf8)) {
                    throw corrupt("two-file NIfTI-2 (.hdr/.img) is not supported; store it as one .nii or .nii.gz")
                }
                throw corrupt("not a NIfTI-2 file (no \"n+2\" magic)")
            }
            dims = (0..<8).map { int64(16 + 8 * $0) }
            datatypeCode = int16(12)
            offset = Double(int64(168))
        }

        let rank = dims[0]
        guard (1...7).contains(rank) else {
            throw ImagingError(.dimensions, path: path, reason: "bad NIfTI dim[0] = \(rank) (must be 1 to 7)")
        }
        var product: Int64 = 1
        for axis in 1...Int(rank) {
            guard dims[axis] >= 1 else {
                throw ImagingError(.dimensions, path: path, reason: "bad NIfTI dimension dim[\(axis)] = \(dims[axis])")
            }
            let (next, overflow) = product.multipliedReportingOverflow(by: dims[axis])
            guard !overflow else {
                throw ImagingError(.dimensions, path: path, reason: "NIfTI dimensions \(Self.describe(dims)) are absurd")
            }
            product = next
        }
        let used = (1...3).map { $0 <= rank ? dims[$0] : 1 }
        let voxels = used[0] * used[1] * used[2]  // divides `product`: cannot overflow
        guard voxels <= Int64(maxVoxels) else {
            throw ImagingError(
                .dimensions, path: path,
                reason: "\(used.map(String.init).joined(separator: "x")) volume exceeds the limit of \(maxVoxels) voxels")
        }
        shape = used.map { Int($0) }
        extraDimensions = rank > 3 ? (4...Int(rank)).map { Int(dims[$0]) } : []

        guard let datatype = NIfTIDataType(rawValue: datatypeCode) else {
            let name = String(cString: nifti_datatype_string(Int32(truncatingIfNeeded: datatypeCode)))
            throw corrupt("unsupported NIfTI datatype \(datatypeCode) (\(name))")
        }
        self.datatype = datatype

        guard offset.isFinite, offset >= 0, offset.rounded(.down) == offset, offset < 0x1p62 else {
            throw corrupt("bad NIfTI vox_offset \(offset)")
        }
        voxelOffset = max(Int(offset), headerSize)
        // Only reachable with a huge voxel limit: the volume's bytes and end must fit in an Int.
        let (bytes, overflow) = voxels.multipliedReportingOverflow(by: Int64(datatype.bytes))
        guard !overflow, bytes <= Int64.max - Int64(voxelOffset) else {
            throw ImagingError(.dimensions, path: path, reason: "NIfTI dimensions \(Self.describe(dims)) are absurd")
        }
    }

    /// `header` in the machine's byte order: niftilib's `swap_nifti_header` on an aligned copy.
    private static func nativeOrder(_ header: UnsafeRawBufferPointer, swapped: Bool) -> [UInt8] {
        guard swapped else { return Array(header) }
        let copy = UnsafeMutableRawBufferPointer.allocate(byteCount: header.count, alignment: 16)
        defer { copy.deallocate() }
        copy.copyMemory(from: header)
        swap_nifti_header(copy.baseAddress, header.count == 348 ? 1 : 2)
        return Array(copy)
    }

    private static func describe(_ dims: [Int64]) -> String {
        dims[1...Int(min(max(dims[0], 1), 7))].map(String.init).joined(separator: "x")
    }
}

/// The voxel types Phantom converts (NIfTI `datatype` codes). Complex, RGB, binary and
/// 128-bit types are refused.
enum NIfTIDataType: Int {
    case uint8 = 2, int16 = 4, int32 = 8, float32 = 16, float64 = 64
    case int8 = 256, uint16 = 512, uint32 = 768, int64 = 1024, uint64 = 1280

    /// Bytes per voxel.
    var bytes: Int {
        switch self {
        case .uint8, .int8: 1
        case .int16, .uint16: 2
        case .int32, .uint32, .float32: 4
        case .float64, .int64, .uint64: 8
        }
    }
}

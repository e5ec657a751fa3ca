/// Reads NIfTI volumes (`.nii`, `.nii.gz`; NIfTI-1 and NIfTI-2, either byte order) into
/// 2-D slices (``GrayImage``, 16-bit) along anatomical planes.
///
/// Reading, from bytes in memory (a `.nii.gz` is inflated with zlib, recognised by its
/// gzip signature whatever the file is called):
/// - the header is parsed and checked in Swift (``NIfTIHeader``): magic, dimensions,
///   datatype, `vox_offset`; the first 3-D volume's voxel count is checked against the
///   limit before any voxel buffer is allocated, and the file (or the decompressed
///   stream) must hold all its bytes;
/// - niftilib swaps the header to the machine's byte order, makes the qform matrix and
///   finds the orientation of each voxel axis from the qform/sform (``NIfTIGeometry``),
///   so "axial" means axial whatever the storage order; oblique volumes are cut along
///   their nearest axes;
/// - datatypes: `uint8`, `int8`, `int16`, `uint16`, `int32`, `uint32`, `int64`, `uint64`,
///   `float32`, `float64`; `value × scl_slope + scl_inter` (a slope of 0 means none);
///   RGB, complex, binary and 128-bit voxels are refused;
/// - a 4-D (or higher) file gives its first volume only.
///
/// Slices: see ``AnatomicalPlane`` (radiological display, planes from the affine),
/// ``NIfTISliceOptions`` (window, foreground threshold, planes, range) and
/// ``NIfTIVolume/forEachSlice(_:maxPixels:totalMaxPixels:_:)`` (resampling to square
/// pixels with the voxel spacing).
///
/// Every failure — truncated or damaged files, bad gzip data, bad or absurd dimensions,
/// unsupported datatypes, a volume with no slice to keep — is an ``ImagingError``
/// naming the file; nothing traps on bad input and niftilib prints nothing.
public enum NIfTIDecoder {
    /// The kept slices of the NIfTI file at `path`.
    ///
    /// - Parameter maxPixels: the most voxels of the volume, and the most pixels of all
    ///   kept slices together (they are held at once).
    /// - Throws: ``ImagingError`` naming `path`.
    public static func read(
        path: String, options: NIfTISliceOptions = NIfTISliceOptions(), maxPixels: Int = PNGDecoder.defaultMaxPixels
    ) throws(ImagingError) -> [NIfTISlice] {
        try decode(FileBytes.readAll(path: path), path: path, options: options, maxPixels: maxPixels)
    }

    /// The kept slices of NIfTI data held in memory; see ``read(path:options:maxPixels:)``.
    public static func decode(
        _ bytes: [UInt8], path: String, options: NIfTISliceOptions = NIfTISliceOptions(),
        maxPixels: Int = PNGDecoder.defaultMaxPixels
    ) throws(ImagingError) -> [NIfTISlice] {
        var slices: [NIfTISlice] = []
        try forEachSlice(bytes, path: path, options: options, maxPixels: maxPixels, totalMaxPixels: maxPixels) {
            slices.append($0)
        }
        return slices
    }

    /// Calls `body` with each kept slice in order (plane by plane, each in stack order);
    /// returns how many slices were considered and kept.
    ///
    /// - Parameters:
    ///   - maxPixels: the most voxels of the volume, and the most pixels of one slice.
    ///   - totalMaxPixels: the most pixels of all kept slices together, or nil for no such limit.
    /// - Throws: ``ImagingError`` naming `path` (`.noImages` when no slice is kept), or
    ///   what `body` throws.
    @discardableResult
    public static func forEachSlice(
        _ bytes: [UInt8], path: String, options: NIfTISliceOptions = NIfTISliceOptions(),
        maxPixels: Int = PNGDecoder.defaultMaxPixels, totalMaxPixels: Int? = nil,
        _ body: (NIfTISlice) throws(ImagingError) -> Void
    ) throws(ImagingError) -> SliceTally {
        let volume = try volume(bytes, path: path, maxVoxels: maxPixels, windowPercentiles: options.windowPercentiles,
                                valueWindow: options.valueWindow)
        let tally = try volume.forEachSlice(options, maxPixels: maxPixels, totalMaxPixels: totalMaxPixels, body)
        guard tally.kept > 0 else {
            let planes = options.planes.map(\.rawValue).joined(separator: ", ")
            throw ImagingError(
                .noImages, path: path,
                reason: "no \(planes.isEmpty ? "plane" : planes) slice of the NIfTI volume has at least \(Self.percent(options.minForegroundFraction)) foreground")
        }
        return tally
    }

    /// The first 3-D volume of NIfTI data held in memory, with its window.
    ///
    /// - Parameters:
    ///   - maxVoxels: the most voxels accepted, checked before allocating.
    ///   - windowPercentiles: see ``NIfTISliceOptions/windowPercentiles``.
    ///   - valueWindow: see ``NIfTISliceOptions/valueWindow``.
    /// - Throws: ``ImagingError`` naming `path`.
    public static func volume(
        _ bytes: [UInt8], path: String, maxVoxels: Int = PNGDecoder.defaultMaxPixels,
        windowPercentiles: ClosedRange<Double> = 0.5...99.5, valueWindow: ClosedRange<Double>? = nil
    ) throws(ImagingError) -> NIfTIVolume {
        guard !bytes.isEmpty else { throw ImagingError(.corrupt, path: path, reason: "empty file (0 bytes)") }
        return try bytes.withUnsafeBufferPointer { (buffer) throws(ImagingError) -> NIfTIVolume in
            let raw = UnsafeRawBufferPointer(buffer)
            let header: NIfTIHeader, geometry: NIfTIGeometry, voxels: [Float]
            if raw.starts(with: NIfTIGzip.signature) {
                var stream = CompressedVolume(path: path, maxVoxels: maxVoxels)
                try NIfTIGzip.inflate(raw, path: path) { (chunk) throws(ImagingError) in try stream.consume(chunk) }
                header = try stream.finish()
                geometry = try NIfTIGeometry(header, path: path)
                voxels = stream.data.withUnsafeBytes { convert($0, header: header, geometry: geometry) }
            } else {
                header = try NIfTIHeader(raw, path: path, maxVoxels: maxVoxels)
                let available = raw.count - min(header.voxelOffset, raw.count)
                guard available >= header.volumeBytes else {
                    throw truncated(header, available: available, path: path)
                }
                geometry = try NIfTIGeometry(header, path: path)
                let data = UnsafeRawBufferPointer(rebasing: raw[header.voxelOffset..<(header.voxelOffset + header.volumeBytes)])
                voxels = convert(data, header: header, geometry: geometry)
            }
            return NIfTIVolume(
                path: path, shape: header.shape, geometry: geometry, voxels: voxels, windowPercentiles: windowPercentiles,
                valueWindow: valueWindow)
        }
    }

    /// True for data starting with a single-file NIfTI-1 or NIfTI-2 header (uncompressed).
    static func hasSignature(_ bytes: [UInt8]) -> Bool { NIfTIHeader.hasSignature(bytes) }

    private static func truncated(_ header: NIfTIHeader, available: Int, path: String) -> ImagingError {
        ImagingError(
            .corrupt, path: path,
            reason: "truncated NIfTI data: the \(header.shape.map(String.init).joined(separator: "x")) volume needs "
                + "\(header.volumeBytes) bytes from offset \(header.voxelOffset), the file holds \(available)")
    }

    private static func percent(_ fraction: Double) -> String {
        let value = fraction * 100
        return value == value.rounded() ? "\(Int(min(max(value, 0), 100)))%" : "\(value)%"
    }

    /// The voxels of `data` (the first volume, file byte order) as floats, scaled.
    private static func convert(_ data: UnsafeRawBufferPointer, header: NIfTIHeader, geometry: NIfTIGeometry) -> [Float] {
        let count = header.voxelCount, swapped = header.swapped
        let slope = geometry.slope, intercept = geometry.intercept
        let identity = slope == 1 && intercept == 0
        func integers<Sample: FixedWidthInteger>(_: Sample.Type) -> [Float] {
            [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
                for index in 0..<count {
                    let raw = data.loadUnaligned(fromByteOffset: index * MemoryLayout<Sample>.size, as: Sample.self)
                    let value = swapped ? raw.byteSwapped : raw
                    buffer[index] = identity ? Float(value) : Float(Double(value) * slope + intercept)
                }
                initialized = count
            }
        }
        func floats<Bits: FixedWidthInteger>(_: Bits.Type, _ make: (Bits) -> Double) -> [Float] {
            [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
                for index in 0..<count {
                    let raw = data.loadUnaligned(fromByteOffset: index * MemoryLayout<Bits>.size, as: Bits.self)
                    buffer[index] = Float(make(swapped ? raw.byteSwapped : raw) * slope + intercept)
                }
                initialized = count
            }
        }
        switch header.datatype {
        case .uint8: return integers(UInt8.self)
        case .int8: return integers(Int8.self)
        case .int16: return integers(Int16.self)
        case .uint16: return integers(UInt16.self)
        case .int32: return integers(Int32.self)
        case .uint32: return integers(UInt32.self)
        case .int64: return integers(Int64.self)
        case .uint64: return integers(UInt64.self)
        case .float32: return floats(UInt32.self) { Double(Float(bitPattern: $0)) }
        case .float64: return floats(UInt64.self) { Double(bitPattern: $0) }
        }
    }

    /// A `.nii.gz` as its decompressed chunks arrive: the header is parsed as soon as its
    /// bytes are in, then only the first volume's bytes are kept.
    private struct CompressedVolume {
        var path: String
        var maxVoxels: Int
        var headerBytes: [UInt8] = []
        var header: NIfTIHeader?
        var data: [UInt8] = []
        /// Bytes of `data` filled so far.
        var filled = 0
        /// Decompressed bytes seen so far.
        var position = 0

        init(path: String, maxVoxels: Int) {
            self.path = path
            self.maxVoxels = maxVoxels
        }

        mutating func consume(_ chunk: UnsafeRawBufferPointer) throws(ImagingError) {
            let start = position
            position += chunk.count
            var offset = 0
            while header == nil, offset < chunk.count {
                let target = headerBytes.count < 4 ? 4 : Self.headerSize(headerBytes)
                let take = min(target - headerBytes.count, chunk.count - offset)
                headerBytes.append(contentsOf: UnsafeRawBufferPointer(rebasing: chunk[offset..<(offset + take)]))
                offset += take
                guard headerBytes.count >= 4, headerBytes.count >= Self.headerSize(headerBytes) else { continue }
                let parsed = try headerBytes.withUnsafeBufferPointer { (buffer) throws(ImagingError) in
                    try NIfTIHeader(UnsafeRawBufferPointer(buffer), path: path, maxVoxels: maxVoxels)
                }
                header = parsed
                data = [UInt8](repeating: 0, count: parsed.volumeBytes)
            }
            guard let header else { return }
            // The part of this chunk inside [voxelOffset, voxelOffset + volumeBytes).
            let low = max(start, header.voxelOffset), high = min(position, header.voxelOffset + header.volumeBytes)
            guard low < high else { return }
            data.withUnsafeMutableBytes { destination in
                destination.baseAddress!.advanced(by: low - header.voxelOffset)
                    .copyMemory(from: chunk.baseAddress!.advanced(by: low - start), byteCount: high - low)
            }
            filled = max(filled, high - header.voxelOffset)
        }

        /// The header, once the stream has ended holding the whole first volume.
        func finish() throws(ImagingError) -> NIfTIHeader {
            guard let header else {
                // Parsing what there is gives the precise complaint (a short or foreign header).
                let attempt = headerBytes.withUnsafeBytes { raw in
                    Result { () throws(ImagingError) in try NIfTIHeader(raw, path: path, maxVoxels: maxVoxels) }
                }
                if case .failure(let error) = attempt { throw error }
                throw ImagingError(.corrupt, path: path, reason: "truncated NIfTI header")
            }
            guard filled == header.volumeBytes else {
                throw NIfTIDecoder.truncated(header, available: max(0, position - header.voxelOffset), path: path)
            }
            return header
        }

        /// 348 or 540 for a NIfTI start; for anything else 4, so parsing fails at once.
        private static func headerSize(_ bytes: [UInt8]) -> Int {
            bytes.withUnsafeBytes { NIfTIHeader.size(ofHeaderStartingWith: $0) } ?? 4
        }
    }
}

import CNIfTI

/// Streaming gzip decompression (zlib) for `.nii.gz`, so nothing is allocated from what
/// the compressed stream claims: the caller sees the output in chunks and keeps only
/// the bytes it wants.
///
/// Concatenated gzip members (as `cat a.gz b.gz` or pigz make) are read as one stream;
/// bytes after the last member that do not start another member are ignored, as gzip
/// does. The whole stream is inflated so its CRC-32 and length are checked, even when
/// the caller needs only a prefix; zlib's output is bounded by 1032× the input.
enum NIfTIGzip {
    /// The two bytes every gzip member starts with.
    static let signature: [UInt8] = [0x1F, 0x8B]

    /// Size of the chunks handed to `consume`.
    static let chunkSize = 1 << 16

    /// Inflates `compressed`, calling `consume` with each chunk of output in order.
    ///
    /// - Throws: ``ImagingError`` `.corrupt` naming `path` for damaged data ("bad gzip
    ///   data (zlib: …)") or a stream that ends early ("truncated gzip data"), or what
    ///   `consume` throws.
    static func inflate(
        _ compressed: UnsafeRawBufferPointer, path: String,
        _ consume: (UnsafeRawBufferPointer) throws(ImagingError) -> Void
    ) throws(ImagingError) {
        let stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
        stream.initialize(to: z_stream())
        defer {
            inflateEnd(stream)
            stream.deinitialize(count: 1)
            stream.deallocate()
        }
        guard phantom_inflate_init_gzip(stream) == Z_OK else {
            throw ImagingError(.corrupt, path: path, reason: "cannot start gzip decompression (zlib)")
        }
        let input = compressed.baseAddress?.assumingMemoryBound(to: UInt8.self)
        stream.pointee.next_in = UnsafeMutablePointer(mutating: input)
        stream.pointee.avail_in = 0
        var remaining = compressed.count
        let chunk = UnsafeMutableRawBufferPointer.allocate(byteCount: chunkSize, alignment: 16)
        defer { chunk.deallocate() }

        while true {
            if stream.pointee.avail_in == 0 && remaining > 0 {
                let feed = min(remaining, Int(UInt32.max))
                stream.pointee.avail_in = UInt32(feed)
                remaining -= feed
            }
            stream.pointee.next_out = chunk.baseAddress!.assumingMemoryBound(to: UInt8.self)
            stream.pointee.avail_out = UInt32(chunkSize)
            let status = CNIfTI.inflate(stream, Z_NO_FLUSH)
            let produced = chunkSize - Int(stream.pointee.avail_out)
            if produced > 0 { try consume(UnsafeRawBufferPointer(rebasing: chunk[0..<produced])) }
            switch status {
            case Z_OK:
                continue
            case Z_STREAM_END:
                // Another member follows only if its signature does.
                let left = Int(stream.pointee.avail_in) + remaining
                guard left >= 2, let next = stream.pointee.next_in, next[0] == signature[0], next[1] == signature[1]
                else { return }
                guard inflateReset(stream) == Z_OK else {
                    throw ImagingError(.corrupt, path: path, reason: "cannot continue gzip decompression (zlib)")
                }
            case Z_BUF_ERROR where stream.pointee.avail_in == 0 && remaining == 0:
                throw ImagingError(.corrupt, path: path, reason: "truncated gzip data (the stream ends early)")
            case Z_BUF_ERROR where produced > 0:
                continue
            case Z_BUF_ERROR:
                // No progress with input left and an empty output buffer: zlib never does this.
                throw ImagingError(.corrupt, path: path, reason: "bad gzip data (zlib made no progress)")
            case Z_MEM_ERROR:
                throw ImagingError(.corrupt, path: path, reason: "out of memory in gzip decompression")
            default:
                let message = stream.pointee.msg.map { String(cString: $0) } ?? "error \(status)"
                throw ImagingError(.corrupt, path: path, reason: "bad gzip data (zlib: \(message))")
            }
        }
    }
}

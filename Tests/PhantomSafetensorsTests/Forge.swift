import Foundation
import PhantomSafetensors
import Testing

/// Hand-made safetensors bytes, for feeding the reader forged and broken files.
enum Forge {
    /// A length prefix (`length`, or the header's true length), the header text, then `data`.
    static func file(header: String, data: [UInt8] = [], length: UInt64? = nil) -> Data {
        var bytes = Data()
        let headerBytes = Array(header.utf8)
        withUnsafeBytes(of: (length ?? UInt64(headerBytes.count)).littleEndian) { bytes.append(contentsOf: $0) }
        bytes.append(contentsOf: headerBytes)
        bytes.append(contentsOf: data)
        return bytes
    }

    /// A one-tensor header.
    static func header(_ name: String = "t", dtype: String = "F32", shape: String = "[2]", offsets: String = "[0,8]") -> String {
        "{\"\(name)\":{\"dtype\":\"\(dtype)\",\"shape\":\(shape),\"data_offsets\":\(offsets)}}"
    }

    /// `values` as little-endian bytes.
    static func bytes<Integer: FixedWidthInteger>(_ values: [Integer]) -> [UInt8] {
        values.flatMap { value in
            (0..<MemoryLayout<Integer>.size).map { UInt8(truncatingIfNeeded: value >> ($0 * 8)) }
        }
    }

    /// Expects reading `data` to fail with `kind` and a reason containing `fragment`.
    static func expectRejected(_ data: Data, _ kind: SafetensorsError.Kind, _ fragment: String,
                               sourceLocation: SourceLocation = #_sourceLocation) {
        do {
            let file = try SafetensorsFile(data: data, path: "forged.safetensors")
            Issue.record("accepted a forged file with \(file.tensors.count) tensors", sourceLocation: sourceLocation)
        } catch {
            #expect(error.kind == kind, "\(error)", sourceLocation: sourceLocation)
            #expect(error.path == "forged.safetensors", sourceLocation: sourceLocation)
            #expect(error.reason.contains(fragment), "\(error.reason)", sourceLocation: sourceLocation)
        }
    }
}

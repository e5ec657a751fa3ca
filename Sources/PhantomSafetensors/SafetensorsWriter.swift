import Foundation

/// Writes safetensors files that the Python `safetensors` library reads (and
/// writes byte for byte the same way): F32 tensors, I64 tensors for integer data,
/// optional string metadata.
///
/// The layout follows the reference implementation: tensors sorted by dtype
/// alignment (I64 before F32), then by name in UTF-8 byte order; compact header
/// JSON with `__metadata__` first; the header padded with spaces to a multiple of
/// 8 bytes; data stored in header order with no gaps.
public enum SafetensorsWriter {
    /// One tensor to write: a name, a shape and the row-major elements.
    public struct Entry {
        /// The tensor's name (its state-dict key).
        public var name: String
        /// The extent of each dimension (`[]` for a scalar).
        public var shape: [Int]
        let payload: Payload

        enum Payload {
            case floats([Float])
            case floatBuffer(UnsafeBufferPointer<Float>)
            case int64s([Int64])
        }

        /// An F32 tensor holding `values`.
        public static func float32(_ name: String, shape: [Int], _ values: [Float]) -> Entry {
            Entry(name: name, shape: shape, payload: .floats(values))
        }

        /// An F32 tensor read from `values` when the file is written, without a copy:
        /// the memory must stay valid until ``SafetensorsWriter/write(_:metadata:to:)``
        /// (or ``SafetensorsWriter/encode(_:metadata:)``) returns.
        public static func float32(_ name: String, shape: [Int], _ values: UnsafeBufferPointer<Float>) -> Entry {
            Entry(name: name, shape: shape, payload: .floatBuffer(values))
        }

        /// An I64 tensor holding `values` (class labels, timesteps, step counts).
        public static func int64(_ name: String, shape: [Int], _ values: [Int64]) -> Entry {
            Entry(name: name, shape: shape, payload: .int64s(values))
        }

        var dtype: SafetensorsDType {
            if case .int64s = payload { return .int64 }
            return .float32
        }

        var valueCount: Int {
            switch payload {
            case .floats(let values): values.count
            case .floatBuffer(let values): values.count
            case .int64s(let values): values.count
            }
        }
    }

    /// Writes `entries` and `metadata` to `url`, atomically: the bytes go to a
    /// temporary file in the same directory that is then renamed over `url`, so
    /// `url` never holds a half-written file.
    public static func write(_ entries: [Entry], metadata: [String: String] = [:], to url: URL) throws(SafetensorsError) {
        let path = url.path
        let ordered = try validated(entries, path: path)
        try AtomicFile.create(path: path) { (sink) throws(SafetensorsError) in
            try emit(ordered, metadata: metadata, to: sink)
        }
    }

    /// The bytes of a safetensors file holding `entries` and `metadata`.
    public static func encode(_ entries: [Entry], metadata: [String: String] = [:]) throws(SafetensorsError) -> Data {
        let ordered = try validated(entries, path: "<memory>")
        var data = Data()
        try emit(ordered, metadata: metadata) { bytes in data.append(contentsOf: bytes) }
        return data
    }

    /// Checks names, shapes and element counts; returns the entries in file order.
    private static func validated(_ entries: [Entry], path: String) throws(SafetensorsError) -> [Entry] {
        func failure(_ reason: String) -> SafetensorsError { SafetensorsError(.writeFailed, path: path, reason: reason) }
        var names = Set<String>()
        for entry in entries {
            guard entry.name != "__metadata__" else { throw failure("\"__metadata__\" cannot name a tensor") }
            guard names.insert(entry.name).inserted else { throw failure("two tensors are named \(quoted(entry.name))") }
            var count = 1
            for extent in entry.shape {
                let (product, overflow) = count.multipliedReportingOverflow(by: extent)
                guard extent >= 0, !overflow else { throw failure("tensor \(quoted(entry.name)) has invalid shape \(entry.shape)") }
                count = product
            }
            guard count == entry.valueCount else {
                throw failure("tensor \(quoted(entry.name)) has shape \(entry.shape) (\(count) elements) but \(entry.valueCount) values")
            }
        }
        return entries.sorted { left, right in
            if left.dtype != right.dtype { return left.dtype == .int64 }
            return left.name.utf8.lexicographicallyPrecedes(right.name.utf8)
        }
    }

    /// Sends the length prefix, the padded header and every tensor's bytes to `sink`.
    private static func emit(_ entries: [Entry], metadata: [String: String], to sink: AtomicFile.Sink) throws(SafetensorsError) {
        var header = Array(headerJSON(entries, metadata: metadata).utf8)
        header.append(contentsOf: repeatElement(UInt8(ascii: " "), count: (8 - header.count % 8) % 8))
        let prefix = (0..<8).map { UInt8(truncatingIfNeeded: UInt64(header.count) >> ($0 * 8)) }
        try (prefix + header).withUnsafeBufferPointer { (bytes) throws(SafetensorsError) in
            try sink(UnsafeRawBufferPointer(bytes))
        }

        var staging = [UInt8](repeating: 0, count: 1 << 16)
        for entry in entries {
            switch entry.payload {
            case .floats(let values):
                try values.withUnsafeBufferPointer { (values) throws(SafetensorsError) in
                    try stage(values, through: &staging, to: sink) { $0.bitPattern }
                }
            case .floatBuffer(let values):
                try stage(values, through: &staging, to: sink) { $0.bitPattern }
            case .int64s(let values):
                try values.withUnsafeBufferPointer { (values) throws(SafetensorsError) in
                    try stage(values, through: &staging, to: sink) { $0 }
                }
            }
        }
    }

    /// Sends `values` as little-endian `bits(value)` to `sink`, a staging buffer at a time.
    private static func stage<Element, Bits: FixedWidthInteger>(
        _ values: UnsafeBufferPointer<Element>, through staging: inout [UInt8], to sink: AtomicFile.Sink,
        _ bits: (Element) -> Bits
    ) throws(SafetensorsError) {
        let size = MemoryLayout<Bits>.size
        let perChunk = staging.count / size
        var start = 0
        while start < values.count {
            let end = min(values.count, start + perChunk)
            try staging.withUnsafeMutableBufferPointer { (staged) throws(SafetensorsError) in
                let buffer = UnsafeMutableRawBufferPointer(staged)
                for index in start..<end {
                    buffer.storeBytes(of: bits(values[index]).littleEndian, toByteOffset: (index - start) * size, as: Bits.self)
                }
                try sink(UnsafeRawBufferPointer(rebasing: buffer[..<((end - start) * size)]))
            }
            start = end
        }
    }

    /// The header JSON, compact, as serde_json writes it.
    private static func headerJSON(_ entries: [Entry], metadata: [String: String]) -> String {
        var members: [String] = []
        if !metadata.isEmpty {
            let pairs = metadata.sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
                .map { JSONText.quoted($0.key) + ":" + JSONText.quoted($0.value) }
            members.append("\"__metadata__\":{" + pairs.joined(separator: ",") + "}")
        }
        var offset = 0
        for entry in entries {
            let end = offset + entry.valueCount * entry.dtype.byteSize
            let shape = entry.shape.map(String.init).joined(separator: ",")
            members.append(JSONText.quoted(entry.name)
                + ":{\"dtype\":\"\(entry.dtype.rawValue)\",\"shape\":[\(shape)],\"data_offsets\":[\(offset),\(end)]}")
            offset = end
        }
        return "{" + members.joined(separator: ",") + "}"
    }
}

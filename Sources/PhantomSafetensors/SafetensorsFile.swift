import Foundation

/// A safetensors file, read whole and validated, whose tensors can be looked up by name.
///
/// Reading never trusts the header: every size and offset is checked against the
/// bytes the file actually holds before anything is allocated from it (see
/// ``SafetensorsError`` for what is rejected), and conversions read only inside a
/// tensor's validated byte range.
public struct SafetensorsFile: Sendable {
    /// The path the file was read from (or the name given to ``init(data:path:)``).
    public let path: String
    /// The `__metadata__` string pairs (empty when the file has none).
    public let metadata: [String: String]
    /// Every tensor, in the order of their bytes in the file.
    public let tensors: [SafetensorsTensor]
    private let indexByName: [String: Int]
    /// The file's bytes, shared with its tensors.
    private let data: Data

    /// Reads and validates the file at `url`.
    public init(contentsOf url: URL) throws(SafetensorsError) {
        let path = url.path
        try self.init(data: try FileReader.readAll(path: path), path: path)
    }

    /// Validates `data`, the bytes of a safetensors file; `path` names it in errors.
    public init(data: Data, path: String) throws(SafetensorsError) {
        let header = try data.withUnsafeBytes { bytes in
            Result { () throws(SafetensorsError) in try SafetensorsHeader(file: bytes, path: path) }
        }.get()
        self.path = path
        self.data = data
        metadata = header.metadata
        let tensors = header.entries.map { entry in
            let start = header.dataStart + entry.dataRange.lowerBound
            return SafetensorsTensor(name: entry.name, dtype: entry.dtype, shape: entry.shape,
                                     elementCount: entry.elementCount, path: path,
                                     storage: data, byteRange: start..<start + entry.dataRange.count)
        }
        self.tensors = tensors
        // Cannot trap: the header parser rejects duplicate keys, compared as Swift strings like these.
        indexByName = Dictionary(uniqueKeysWithValues: tensors.indices.map { (tensors[$0].name, $0) })
    }

    /// The SHA-256 of the file's bytes, as read (64 lowercase hex digits): what a manifest
    /// records to name the exact weights used.
    public func sha256() -> String { SHA256.hex(data) }

    /// The tensor called `name`, or nil.
    public subscript(name: String) -> SafetensorsTensor? {
        indexByName[name].map { tensors[$0] }
    }

    /// The tensor called `name`; throws ``SafetensorsError/Kind/missingTensor`` when absent.
    public func tensor(named name: String) throws(SafetensorsError) -> SafetensorsTensor {
        guard let tensor = self[name] else {
            throw SafetensorsError(.missingTensor, path: path, reason: "no tensor named \(quoted(name))")
        }
        return tensor
    }

    /// Converts the tensor called `name` to Float32 into `destination`, after
    /// checking that it exists and has exactly `shape`: the one call a checkpoint
    /// loader needs per parameter.
    public func copyFloats(named name: String, shape: [Int],
                           into destination: UnsafeMutableBufferPointer<Float>) throws(SafetensorsError) {
        let tensor = try tensor(named: name)
        guard tensor.shape == shape else {
            throw SafetensorsError(.missingTensor, path: path,
                                   reason: "tensor \(quoted(name)) has shape \(tensor.shape), expected \(shape)")
        }
        try tensor.copyFloats(into: destination)
    }
}

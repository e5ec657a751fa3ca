/// One tensor as the header describes it, checked against the data region.
struct HeaderEntry: Sendable {
    var name: String
    var dtype: SafetensorsDType
    var shape: [Int]
    var elementCount: Int
    /// The tensor's bytes, relative to the start of the data region.
    var dataRange: Range<Int>
}

/// The validated header of a safetensors file.
///
/// Validation follows the safetensors specification: a length prefix of at most
/// ``maximumLength`` bytes that fits in the file; a UTF-8 JSON object starting with
/// `{`; an optional `__metadata__` object of strings; for every other key a known
/// dtype, a shape of non-negative integers whose element count does not overflow,
/// and `data_offsets` `[begin, end]` with `end − begin` equal to the byte size.
/// Tensors must tile the data region exactly: no overlaps, no holes, no trailing bytes.
/// Duplicate names are rejected (names are compared as Swift strings, so two
/// canonically equivalent spellings of a name also count as duplicates).
struct SafetensorsHeader: Sendable {
    /// The largest accepted header, as in the reference implementation (100 MB).
    static let maximumLength = 100_000_000

    /// The tensors in data order (by `data_offsets`).
    var entries: [HeaderEntry]
    /// The string pairs of `__metadata__` (empty when absent).
    var metadata: [String: String]
    /// The offset of the data region in the file: 8 + the header length.
    var dataStart: Int

    /// Parses and validates the header of `file`, a whole safetensors file.
    init(file: UnsafeRawBufferPointer, path: String) throws(SafetensorsError) {
        func headerError(_ reason: String) -> SafetensorsError { SafetensorsError(.invalidHeader, path: path, reason: reason) }
        guard file.count >= 8 else {
            throw headerError("file is \(file.count) bytes, too short for the 8-byte header length")
        }
        let length = UInt64(littleEndian: file.loadUnaligned(as: UInt64.self))
        guard length <= UInt64(Self.maximumLength) else {
            throw headerError("header length \(length) exceeds the limit of \(Self.maximumLength) bytes")
        }
        guard length <= UInt64(file.count - 8) else {
            throw headerError("header length \(length) exceeds the \(file.count - 8) bytes after the length prefix (truncated file?)")
        }
        dataStart = 8 + Int(length)
        let bytes = Array(file[8..<dataStart])
        guard Self.isValidUTF8(bytes) else { throw headerError("header is not valid UTF-8") }
        guard bytes.first == UInt8(ascii: "{") else { throw headerError("header does not start with '{'") }
        let root: JSONValue
        do {
            root = try JSONParser.parse(bytes)
        } catch {
            throw headerError("header is not valid JSON: \(error.message) at byte \(error.offset)")
        }
        guard case .object(let members) = root else { throw headerError("header is not a JSON object") }

        let dataSize = file.count - dataStart
        var entries: [HeaderEntry] = []
        var metadata: [String: String] = [:]
        for (key, value) in members {
            if key == "__metadata__" {
                guard case .object(let pairs) = value else { throw headerError("__metadata__ is not an object") }
                for (name, text) in pairs {
                    guard case .string(let string) = text else {
                        throw headerError("__metadata__ value for \(quoted(name)) is not a string")
                    }
                    metadata[name] = string
                }
            } else {
                entries.append(try Self.entry(named: key, value, dataSize: dataSize, path: path))
            }
        }
        try Self.checkTiling(&entries, dataSize: dataSize, path: path)
        self.entries = entries
        self.metadata = metadata
    }

    /// Reads one tensor's description and checks it on its own.
    private static func entry(named name: String, _ value: JSONValue, dataSize: Int, path: String) throws(SafetensorsError) -> HeaderEntry {
        func tensorError(_ reason: String) -> SafetensorsError {
            SafetensorsError(.invalidTensor, path: path, reason: "tensor \(quoted(name)) \(reason)")
        }
        guard case .object(let fields) = value else { throw tensorError("is not a JSON object") }
        var dtypeValue: JSONValue?, shapeValue: JSONValue?, offsetsValue: JSONValue?
        for (key, field) in fields {
            switch key {
            case "dtype": dtypeValue = field
            case "shape": shapeValue = field
            case "data_offsets": offsetsValue = field
            default: throw tensorError("has unknown field \(quoted(key))")
            }
        }
        guard let dtypeValue else { throw tensorError("has no \"dtype\"") }
        guard let shapeValue else { throw tensorError("has no \"shape\"") }
        guard let offsetsValue else { throw tensorError("has no \"data_offsets\"") }

        guard case .string(let dtypeName) = dtypeValue else { throw tensorError("dtype is not a string") }
        guard let dtype = SafetensorsDType(rawValue: dtypeName) else {
            throw tensorError("has unsupported dtype \(quoted(dtypeName))")
        }

        guard case .array(let dimensions) = shapeValue else { throw tensorError("shape is not a list") }
        var shape: [Int] = []
        for dimension in dimensions {
            guard case .number(let literal) = dimension, let value = integer(literal) else {
                throw tensorError("shape has a dimension that is not an integer")
            }
            guard value >= 0 else { throw tensorError("shape has a negative dimension \(value)") }
            shape.append(value)
        }
        var elementCount = 1
        for extent in shape {
            let (product, overflow) = elementCount.multipliedReportingOverflow(by: extent)
            guard !overflow else { throw tensorError("shape \(shape) has too many elements to address") }
            elementCount = product
        }
        let (byteCount, overflow) = elementCount.multipliedReportingOverflow(by: dtype.byteSize)
        guard !overflow else { throw tensorError("shape \(shape) has too many bytes to address") }

        guard case .array(let offsets) = offsetsValue, offsets.count == 2,
              case .number(let beginLiteral) = offsets[0], case .number(let endLiteral) = offsets[1],
              let begin = integer(beginLiteral), let end = integer(endLiteral), begin >= 0, end >= 0 else {
            throw tensorError("data_offsets is not a pair of non-negative integers")
        }
        guard begin <= end else { throw tensorError("data_offsets [\(begin), \(end)] end before they begin") }
        guard end <= dataSize else {
            throw tensorError("data_offsets [\(begin), \(end)] extend past the \(dataSize)-byte data region (truncated file?)")
        }
        guard end - begin == byteCount else {
            throw tensorError("data_offsets [\(begin), \(end)] hold \(end - begin) bytes but \(dtype.rawValue) \(shape) needs \(byteCount)")
        }
        return HeaderEntry(name: name, dtype: dtype, shape: shape, elementCount: elementCount, dataRange: begin..<end)
    }

    /// Sorts `entries` by offsets and checks that they cover `0..<dataSize` exactly once.
    private static func checkTiling(_ entries: inout [HeaderEntry], dataSize: Int, path: String) throws(SafetensorsError) {
        entries.sort { ($0.dataRange.lowerBound, $0.dataRange.upperBound) < ($1.dataRange.lowerBound, $1.dataRange.upperBound) }
        var covered = 0
        var previous: HeaderEntry?
        for entry in entries {
            let range = entry.dataRange
            if range.lowerBound < covered, let previous {
                throw SafetensorsError(.invalidTensor, path: path, reason:
                    "tensor \(quoted(entry.name)) data_offsets [\(range.lowerBound), \(range.upperBound)] overlap tensor \(quoted(previous.name)) [\(previous.dataRange.lowerBound), \(previous.dataRange.upperBound)]")
            }
            if range.lowerBound > covered {
                throw SafetensorsError(.invalidTensor, path: path, reason:
                    "data bytes [\(covered), \(range.lowerBound)) are not covered by any tensor")
            }
            covered = range.upperBound
            previous = entry
        }
        if covered != dataSize {
            throw SafetensorsError(.invalidTensor, path: path, reason:
                "data bytes [\(covered), \(dataSize)) are not covered by any tensor")
        }
    }

    /// The value of a JSON number literal that is an integer (no fraction or
    /// exponent) and fits in `Int`; nil otherwise. (The JSON grammar already
    /// excludes `+`, spaces and empty literals, which `Int.init` would judge differently.)
    private static func integer(_ literal: String) -> Int? { Int(literal) }

    private static func isValidUTF8(_ bytes: [UInt8]) -> Bool {
        var parser = Unicode.UTF8.ForwardParser()
        var iterator = bytes.makeIterator()
        while true {
            switch parser.parseScalar(from: &iterator) {
            case .valid: continue
            case .emptyInput: return true
            case .error: return false
            }
        }
    }
}

/// The one error type of PhantomSafetensors: which file, and what is wrong with it.
///
/// Every failure on a file's contents (a forged or truncated header, impossible
/// offsets, a wrong dtype for a conversion) and every I/O failure is reported as a
/// `SafetensorsError`; nothing in this module traps on untrusted input.
public struct SafetensorsError: FileError, Sendable, Hashable {
    /// The category of failure, for callers (and tests) that tell them apart.
    public enum Kind: Sendable, Hashable {
        /// The file could not be opened or read.
        case unreadable
        /// The 8-byte length prefix or the JSON header is missing, too large or malformed.
        case invalidHeader
        /// A tensor entry is inconsistent: unknown dtype, bad shape, bad offsets,
        /// overlapping or duplicate tensors, or data bytes not covered by any tensor.
        case invalidTensor
        /// A tensor was asked for that the file does not hold, or with another shape.
        case missingTensor
        /// A tensor's dtype cannot be converted to the requested element type,
        /// or a value does not fit in it.
        case unsupportedConversion
        /// The tensors handed to the writer are inconsistent, or the file could not be written.
        case writeFailed
    }

    /// The category of failure.
    public var kind: Kind
    /// The file concerned, as given to the reader or writer.
    public var path: String
    /// A short human-readable reason.
    public var reason: String

    public init(_ kind: Kind, path: String, reason: String) {
        self.kind = kind
        self.path = path
        self.reason = reason
    }
}

/// A tensor name as it appears in an error message: JSON-quoted, with control
/// characters escaped and very long (forged) names shortened.
func quoted(_ name: String) -> String {
    let limit = 200
    let shown = name.count > limit ? String(name.prefix(limit)) + "…" : name
    return JSONText.quoted(shown)
}

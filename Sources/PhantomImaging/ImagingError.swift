import PhantomSafetensors

/// A file that could not be used, and why.
public struct FileIssue: Sendable, Hashable, CustomStringConvertible {
    /// The file's path as given to (or found by) the loader.
    public var path: String
    /// A short human-readable reason, e.g. `"not a PNG file"`.
    public var reason: String

    public init(path: String, reason: String) {
        self.path = path
        self.reason = reason
    }

    /// `"<path>: <reason>"`.
    public var description: String { "\(path): \(reason)" }
}

/// The one error type of PhantomImaging: what went wrong, on which file, and why.
///
/// Every failure on user input (files, folders, image contents) is reported as an
/// `ImagingError`; nothing in this module traps on bad input.
public struct ImagingError: FileError, Sendable, Hashable {
    /// The category of failure, for callers that react differently to each.
    public enum Kind: Sendable, Hashable {
        /// The file or folder could not be opened or read (missing, permissions, a directory…).
        case unreadable
        /// The file does not start with the PNG signature (includes empty files).
        case notPNG
        /// libpng rejected the data: truncated or corrupt.
        case corrupt
        /// Zero or larger-than-allowed image dimensions.
        case dimensions
        /// An image could not be encoded or its file not written.
        case writeFailed
        /// A dataset folder holds no PNG images (or none that could be read).
        case noImages
        /// Some PNG files of a dataset could not be read; see ``issues``.
        case unreadableImages
    }

    /// The category of failure.
    public var kind: Kind
    /// The file or folder concerned.
    public var path: String
    /// A short human-readable reason.
    public var reason: String
    /// For ``Kind/unreadableImages``: every file that failed and why; empty otherwise.
    public var issues: [FileIssue]

    public init(_ kind: Kind, path: String, reason: String, issues: [FileIssue] = []) {
        self.kind = kind
        self.path = path
        self.reason = reason
        self.issues = issues
    }
}

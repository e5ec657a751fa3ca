/// The shape of every Phantom error about a file or folder: which one, and why. Each
/// module has one error type of this shape (`SafetensorsError`, `ImagingError`,
/// `ModelError`, `EvaluationError`); the command line prints any of them as
/// `error: <path>: <reason>`.
public protocol FileError: Error, CustomStringConvertible {
    /// The file or folder concerned, as given.
    var path: String { get }
    /// A short human-readable reason.
    var reason: String { get }
}

extension FileError {
    /// `"<path>: <reason>"`.
    public var description: String { "\(path): \(reason)" }
}

import PhantomSafetensors

/// The one error type of PhantomEvaluation: which file or folder, and what is wrong.
/// The command line prints it as `error: <path>: <reason>`.
public struct EvaluationError: FileError, Sendable, Hashable {
    /// The file or folder concerned, as given.
    public var path: String
    /// A short human-readable reason.
    public var reason: String

    public init(path: String, reason: String) {
        self.path = path
        self.reason = reason
    }
}

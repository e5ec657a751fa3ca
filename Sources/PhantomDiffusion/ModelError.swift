import PhantomSafetensors

/// The one error type of PhantomDiffusion's files: a model folder, weights file or
/// configuration (`unet_config.json`, `scheduler_config.json`, `phantom.json`) that cannot
/// be used, or a sampling request its scheduler refuses: which file, and why.
public struct ModelError: FileError, Equatable {
    /// The file or folder concerned, as given.
    public let path: String
    /// A short human-readable reason.
    public let reason: String

    public init(path: String, reason: String) {
        self.path = path
        self.reason = reason
    }
}

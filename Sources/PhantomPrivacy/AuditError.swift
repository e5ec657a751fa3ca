/// The one error type of PhantomPrivacy: an audit that cannot run, and why.
public struct AuditError: Error, Sendable, Hashable, CustomStringConvertible {
    /// A short human-readable reason.
    public var reason: String

    public init(_ reason: String) {
        self.reason = reason
    }

    public var description: String { reason }
}

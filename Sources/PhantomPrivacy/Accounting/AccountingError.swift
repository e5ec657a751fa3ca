/// Why the privacy accountant refused a request: an input outside its domain (a sampling rate
/// outside (0, 1], δ outside (0, 1), fewer than one step, σ ≤ 0, an RDP order ≤ 1), or a target
/// ε that no noise multiplier up to Opacus's bound reaches.
public struct AccountingError: Error, Sendable, Hashable, CustomStringConvertible {
    /// A short human-readable reason.
    public var reason: String

    public init(_ reason: String) {
        self.reason = reason
    }

    public var description: String { reason }
}

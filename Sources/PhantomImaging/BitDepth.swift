/// The sample width of a grayscale image: 8 or 16 bits.
public enum BitDepth: Int, Sendable, Hashable, Comparable, CaseIterable, CustomStringConvertible {
    case eight = 8
    case sixteen = 16

    /// The largest sample value: 255 or 65535.
    public var maxValue: Int { self == .eight ? 255 : 65535 }

    public static func < (lhs: BitDepth, rhs: BitDepth) -> Bool { lhs.rawValue < rhs.rawValue }

    /// `"8-bit"` or `"16-bit"`.
    public var description: String { "\(rawValue)-bit" }
}

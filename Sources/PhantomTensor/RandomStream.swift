import Foundation

/// A counter-based random number generator (Philox4x32-10, Salmon et al. 2011).
///
/// A stream is named by a 64-bit seed and three 32-bit words chosen by the caller
/// (for example: purpose, training step, image index). Element `j` of a stream is
/// a pure function of (seed, words, j), so draws never depend on thread count,
/// batch size, batch split or the order in which elements are generated.
public struct RandomStream: Sendable, Equatable {
    /// The seed (the Philox key).
    public let seed: UInt64
    /// The three words that select the stream (counter words 1–3).
    public let words: (UInt32, UInt32, UInt32)

    /// The stream named by `seed` and up to three selector words.
    public init(seed: UInt64, _ a: UInt32 = 0, _ b: UInt32 = 0, _ c: UInt32 = 0) {
        self.seed = seed
        self.words = (a, b, c)
    }

    public static func == (lhs: RandomStream, rhs: RandomStream) -> Bool {
        lhs.seed == rhs.seed && lhs.words == rhs.words
    }

    /// Four random 32-bit words for block `block` of the stream.
    @inline(__always)
    public func block(_ block: UInt32) -> (UInt32, UInt32, UInt32, UInt32) {
        var c0 = block, c1 = words.0, c2 = words.1, c3 = words.2
        var k0 = UInt32(truncatingIfNeeded: seed), k1 = UInt32(truncatingIfNeeded: seed >> 32)
        for round in 0..<10 {
            if round > 0 {
                k0 = k0 &+ 0x9E37_79B9
                k1 = k1 &+ 0xBB67_AE85
            }
            let product0 = UInt64(0xD251_1F53) &* UInt64(c0)
            let product1 = UInt64(0xCD9E_8D57) &* UInt64(c2)
            let hi0 = UInt32(truncatingIfNeeded: product0 >> 32), lo0 = UInt32(truncatingIfNeeded: product0)
            let hi1 = UInt32(truncatingIfNeeded: product1 >> 32), lo1 = UInt32(truncatingIfNeeded: product1)
            (c0, c1, c2, c3) = (hi1 ^ c1 ^ k0, lo1, hi0 ^ c3 ^ k1, lo0)
        }
        return (c0, c1, c2, c3)
    }

    /// Maps a random word to a uniform Float in (0, 1] (24 bits of precision).
    @inline(__always)
    static func unitInterval(_ word: UInt32) -> Float {
        Float((word >> 8) &+ 1) * (1.0 / 16_777_216.0)
    }

    /// Element `index` of the stream as a uniform Float in (0, 1].
    public func uniform(_ index: Int) -> Float {
        let words = block(UInt32(truncatingIfNeeded: index >> 2))
        switch index & 3 {
        case 0: return Self.unitInterval(words.0)
        case 1: return Self.unitInterval(words.1)
        case 2: return Self.unitInterval(words.2)
        default: return Self.unitInterval(words.3)
        }
    }

    /// Writes elements `0..<count` of the stream as uniform values in (0, 1].
    public func fillUniform(_ destination: UnsafeMutablePointer<Float>, count: Int) {
        var index = 0
        while index < count {
            let w = block(UInt32(truncatingIfNeeded: index >> 2))
            let values = (Self.unitInterval(w.0), Self.unitInterval(w.1),
                          Self.unitInterval(w.2), Self.unitInterval(w.3))
            destination[index] = values.0
            if index + 1 < count { destination[index + 1] = values.1 }
            if index + 2 < count { destination[index + 2] = values.2 }
            if index + 3 < count { destination[index + 3] = values.3 }
            index += 4
        }
    }

    /// Writes elements `0..<count` of the stream as standard normal values
    /// (Box–Muller on pairs of uniforms, computed in Double).
    public func fillGaussian(_ destination: UnsafeMutablePointer<Float>, count: Int) {
        var index = 0
        while index < count {
            let w = block(UInt32(truncatingIfNeeded: index >> 2))
            let (a0, a1) = Self.boxMuller(w.0, w.1)
            let (b0, b1) = Self.boxMuller(w.2, w.3)
            destination[index] = a0
            if index + 1 < count { destination[index + 1] = a1 }
            if index + 2 < count { destination[index + 2] = b0 }
            if index + 3 < count { destination[index + 3] = b1 }
            index += 4
        }
    }

    @inline(__always)
    static func boxMuller(_ u: UInt32, _ v: UInt32) -> (Float, Float) {
        let radius = (-2 * Foundation.log(Double(unitInterval(u)))).squareRoot()
        let angle = 2 * Double.pi * Double(unitInterval(v))
        return (Float(radius * Foundation.cos(angle)), Float(radius * Foundation.sin(angle)))
    }
}

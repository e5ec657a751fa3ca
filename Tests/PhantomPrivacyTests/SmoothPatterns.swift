import Foundation
import PhantomPrivacy

/// Deterministic test images: random smooth patterns (Gaussian-blurred white noise),
/// with exact shifts available because each pattern is a crop of a larger field.
struct SmoothPatterns {
    /// Pixels of margin around each image, so crops can shift by up to this much.
    static let margin = 4

    let side: Int

    /// Pattern `seed` as `side × side` floats in [-1, 1], cropped `shiftX`, `shiftY`
    /// pixels right/down from the centre crop.
    func pattern(seed: UInt64, shiftX: Int = 0, shiftY: Int = 0) -> [Float] {
        let field = self.field(seed: seed)
        let width = side + 2 * Self.margin
        var image: [Float] = []
        for y in 0..<side {
            for x in 0..<side {
                image.append(field[(y + Self.margin + shiftY) * width + x + Self.margin + shiftX])
            }
        }
        return image
    }

    /// `image` plus Gaussian noise of standard deviation `sigma`, clamped to [-1, 1].
    func noisy(_ image: [Float], sigma: Float, seed: UInt64) -> [Float] {
        var random = SplitMix(seed: seed)
        return image.map { min(1, max(-1, $0 + sigma * random.gaussian())) }
    }

    /// The left half of `left` beside the right half of `right`.
    func halves(left: [Float], right: [Float]) -> [Float] {
        (0..<(side * side)).map { $0 % side < side / 2 ? left[$0] : right[$0] }
    }

    /// White noise blurred by a Gaussian of 3 pixels, scaled to standard deviation 0.4.
    private func field(seed: UInt64) -> [Float] {
        let width = side + 2 * Self.margin
        var random = SplitMix(seed: seed)
        let noise = (0..<(width * width)).map { _ in random.gaussian() }
        let radius = 9, sigma: Float = 3
        let kernel = (-radius...radius).map { offset in
            let x = Float(offset)
            return exp(-x * x / (2 * sigma * sigma))
        }
        func blur(_ values: [Float], horizontal: Bool) -> [Float] {
            (0..<(width * width)).map { index in
                let x = index % width, y = index / width
                var sum: Float = 0
                for (tap, weight) in kernel.enumerated() {
                    let offset = tap - radius
                    let (sx, sy) = horizontal ? (x + offset, y) : (x, y + offset)
                    // Reflect at the field's edges.
                    let cx = sx < 0 ? -sx : (sx >= width ? 2 * width - 2 - sx : sx)
                    let cy = sy < 0 ? -sy : (sy >= width ? 2 * width - 2 - sy : sy)
                    sum += weight * values[cy * width + cx]
                }
                return sum
            }
        }
        let blurred = blur(blur(noise, horizontal: true), horizontal: false)
        let mean = blurred.reduce(0, +) / Float(blurred.count)
        let deviation = (blurred.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Float(blurred.count)).squareRoot()
        return blurred.map { min(1, max(-1, 0.4 * ($0 - mean) / deviation)) }
    }
}

/// A small seeded generator (SplitMix64) for test data.
struct SplitMix {
    private var state: UInt64

    /// Seeds are scrambled first: nearby seeds must not give overlapping sequences
    /// (which would make patterns shifted copies of each other).
    init(seed: UInt64) { state = Self.mix(seed) }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        return Self.mix(state)
    }

    private static func mix(_ value: UInt64) -> UInt64 {
        var z = value
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in (0, 1).
    mutating func uniform() -> Float { (Float(next() >> 40) + 0.5) / Float(1 << 24) }

    /// Standard normal (Box–Muller).
    mutating func gaussian() -> Float {
        let u = uniform(), v = uniform()
        return (-2 * log(u)).squareRoot() * cos(2 * Float.pi * v)
    }
}

extension AuditImages {
    /// Images from a list of `side × side` float arrays.
    init(side: Int, images: [[Float]]) {
        self.init(side: side, pixels: images.flatMap { $0 })
    }
}

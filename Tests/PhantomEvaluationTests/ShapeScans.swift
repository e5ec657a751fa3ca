import Foundation
import PhantomImaging
import PhantomTensor

/// Small labelled test images that look like scans of three "anatomies" — a disc, a
/// horizontal bar and a ring, bright on a dark background at random positions, sizes and
/// intensities, lightly textured — written as ImageFolder trees of 8-bit PNGs.
struct ShapeScans {
    static let classes = ["bar", "disc", "ring"]
    let side: Int

    /// Image `index` of class `label` in [-1, 1]; `seed` separates sets (train, test).
    func image(label: Int, index: Int, seed: UInt32) -> [Float] {
        let stream = RandomStream(seed: 77, seed, UInt32(label), UInt32(index))
        let s = Float(side)
        let cx = s * (0.35 + 0.3 * stream.uniform(0)), cy = s * (0.35 + 0.3 * stream.uniform(1))
        let size = s * (0.18 + 0.12 * stream.uniform(2)), brightness = 0.6 + 0.4 * stream.uniform(3)
        var pixels = [Float](repeating: 0, count: side * side)
        for y in 0..<side {
            for x in 0..<side {
                let dx = Float(x) + 0.5 - cx, dy = Float(y) + 0.5 - cy
                let r = (dx * dx + dy * dy).squareRoot()
                let inside: Float
                switch label {
                case 0: inside = smoothStep(size * 0.35 - abs(dy))
                case 1: inside = smoothStep(size - r)
                default: inside = smoothStep(size * 0.3 - abs(r - size))
                }
                let texture = 0.08 * (stream.uniform(8 + y * side + x) - 0.5)
                pixels[y * side + x] = min(1, max(-1, -0.9 + 1.8 * brightness * inside + texture))
            }
        }
        return pixels
    }

    private func smoothStep(_ distance: Float) -> Float { min(1, max(0, distance + 0.5)) }

    /// Writes `images[class]` as `root/<class>/<index>.png`.
    static func write(_ images: [[[Float]]], side: Int, to root: URL) throws {
        for (label, set) in images.enumerated() {
            let folder = root.appendingPathComponent(classes[label])
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            for (index, pixels) in set.enumerated() {
                let image = GrayImage(width: side, height: side, bitDepth: .eight, floats: pixels)
                try PNGEncoder.write(image, to: folder.appendingPathComponent(String(format: "%03d.png", index)).path)
            }
        }
    }

    /// A set of `perClass` images of each class.
    func set(perClass: Int, seed: UInt32) -> [[[Float]]] {
        (0..<Self.classes.count).map { label in (0..<perClass).map { image(label: label, index: $0, seed: seed) } }
    }

    /// Gaussian noise of standard deviation `sigma` (in [-1, 1] units), clamped.
    static func noised(_ pixels: [Float], sigma: Float, key: UInt32) -> [Float] {
        let noise = [Float](unsafeUninitializedCapacity: pixels.count) { buffer, count in
            RandomStream(seed: 91, key).fillGaussian(buffer.baseAddress!, count: pixels.count)
            count = pixels.count
        }
        return zip(pixels, noise).map { min(1, max(-1, $0 + sigma * $1)) }
    }

    /// A 3×3 box blur with edges repeated.
    static func blurred(_ pixels: [Float], side: Int) -> [Float] {
        (0..<side * side).map { i in
            let y = i / side, x = i % side
            var sum: Float = 0
            for dy in -1...1 {
                for dx in -1...1 {
                    sum += pixels[min(side - 1, max(0, y + dy)) * side + min(side - 1, max(0, x + dx))]
                }
            }
            return sum / 9
        }
    }
}

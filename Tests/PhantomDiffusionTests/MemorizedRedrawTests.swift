import PhantomDiffusion
import PhantomPrivacy
import PhantomTensor
import Testing

@Suite struct MemorizedRedrawTests {
    static let side = 16

    static func noise(_ key: UInt32) -> [Float] {
        let tensor = Tensor(zeros: [side * side])
        RandomStream(seed: 11, key).fillUniform(tensor.data, count: tensor.count)
        return tensor.values.map { 2 * $0 - 1 }
    }

    static let training = AuditImages(side: side, pixels: (0..<12).flatMap { noise(UInt32($0)) })

    /// A copy of a training image is re-drawn with seed + 1; the others keep their seed and pixels.
    @Test func aCopyIsRedrawnWithTheNextSeed() throws {
        let images = [Self.noise(100), Self.noise(3), Self.noise(101)]   // image 1 copies training image 3
        var calls: [([Int], UInt64)] = []
        let outcome = try MemorizedRedraw.apply(images: images, seed: 7, side: Self.side, training: Self.training, maxRedraws: 2) {
            positions, seed in
            calls.append((positions, seed))
            return positions.map { Self.noise(200 + UInt32($0)) }
        }
        #expect(calls.count == 1 && calls[0].0 == [1] && calls[0].1 == 8)
        #expect(outcome.seeds == [7, 8, 7])
        #expect(outcome.images[0] == images[0] && outcome.images[2] == images[2] && outcome.images[1] == Self.noise(201))
        #expect(outcome.redrawn == 1 && outcome.leftOut == 0)
    }

    /// An image that keeps copying after the allowed re-draws is left out (emptied).
    @Test func aStubbornCopyIsLeftOut() throws {
        let images = [Self.noise(100), Self.noise(5)]
        var seeds: [UInt64] = []
        let outcome = try MemorizedRedraw.apply(images: images, seed: 1, side: Self.side, training: Self.training, maxRedraws: 3) {
            positions, seed in
            seeds.append(seed)
            return positions.map { _ in Self.noise(5) }
        }
        #expect(seeds == [2, 3, 4])
        #expect(outcome.images[1].isEmpty && outcome.images[0] == images[0])
        #expect(outcome.leftOut == 1 && outcome.redrawn == 1)
    }
}

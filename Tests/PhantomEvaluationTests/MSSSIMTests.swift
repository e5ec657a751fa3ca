import Foundation
import PhantomEvaluation
import PhantomTensor
import Testing

/// MS-SSIM against `pytorch_msssim.ms_ssim` (7-px window, weights truncated and renormalised,
/// float64) and an independent numpy implementation (`Tests/Fixtures/make_evaluation_fixtures.py`).
@Suite struct MSSSIMTests {
    /// `make_image` of the fixture script: an integer bilinear pattern, optionally noised or
    /// inverted, divided by 255 in Float.
    static func image(_ recipe: [String: Any]) throws -> [Float] {
        let side = try #require(recipe["side"] as? Int)
        var pixels = pattern(seed: UInt64(try #require(recipe["pattern"] as? Int)), side: side)
        if let noise = recipe["noise"] as? Int {
            let amplitude = try #require(recipe["amplitude"] as? Int)
            var generator = ReferenceGenerator(seed: UInt64(noise))
            pixels = pixels.map { min(255, max(0, $0 + generator.below(2 * amplitude + 1) - amplitude)) }
        }
        if recipe["invert"] as? Bool == true { pixels = pixels.map { 255 - $0 } }
        return pixels.map { Float($0) / 255 }
    }

    static func pattern(seed: UInt64, side: Int) -> [Int] {
        var generator = ReferenceGenerator(seed: seed)
        let cells = side / 8 + 2
        let grid = (0..<(cells * cells)).map { _ in Int(generator.next() >> 56) }
        var pixels = [Int]()
        for i in 0..<side {
            let (ci, fi) = i.quotientAndRemainder(dividingBy: 8)
            for j in 0..<side {
                let (cj, fj) = j.quotientAndRemainder(dividingBy: 8)
                let sum = (8 - fi) * (8 - fj) * grid[ci * cells + cj] + fi * (8 - fj) * grid[(ci + 1) * cells + cj]
                    + (8 - fi) * fj * grid[ci * cells + cj + 1] + fi * fj * grid[(ci + 1) * cells + cj + 1]
                pixels.append(sum / 64)
            }
        }
        return pixels
    }

    static func fixture() throws -> [String: Any] { try loadEvaluationFixture("msssim.json") }

    @Test func matchesPytorchMSSSIMAndNumpy() throws {
        let pairs = try #require(try Self.fixture()["pairs"] as? [[String: Any]])
        #expect(pairs.count == 11)
        var checkedAgainstTorch = 0
        for pair in pairs {
            let name = try #require(pair["name"] as? String), side = try #require(pair["side"] as? Int)
            let a = try Self.image(try #require(pair["a"] as? [String: Any]))
            let b = try Self.image(try #require(pair["b"] as? [String: Any]))
            #expect(MSSSIM.scaleCount(side: side) == pair["scales"] as? Int, "\(name)")
            let value = MSSSIM.index(a, b, side: side)
            let numpy = try #require(pair["numpy"] as? Double)
            #expect(abs(value - numpy) < 1e-9, "\(name): \(value) vs numpy \(numpy)")
            if let torch = pair["pytorch_msssim"] as? Double {
                checkedAgainstTorch += 1
                #expect(abs(value - torch) < 1e-9, "\(name): \(value) vs pytorch_msssim \(torch)")
            }
            #expect(abs(MSSSIM.index(b, a, side: side) - value) < 1e-12, "\(name): symmetric")
        }
        #expect(checkedAgainstTorch == 10)
    }

    @Test func identicalImagesScoreOne() throws {
        var generator = ReferenceGenerator(seed: 9)
        let noise = (0..<(48 * 48)).map { _ in Float(generator.uniform()) }
        for (image, side) in [(try Self.image(["pattern": 64, "side": 64]), 64), (noise, 48),
                              (try Self.image(["pattern": 7, "side": 7]), 7)] {
            #expect(abs(MSSSIM.index(image, image, side: side) - 1) < 1e-9)
        }
        let flat = [Float](repeating: 0.5, count: 32 * 32)
        #expect(abs(MSSSIM.index(flat, flat, side: 32) - 1) < 1e-9)
    }

    @Test func moreNoiseScoresLower() throws {
        let base: [String: Any] = ["pattern": 64, "side": 64]
        let clean = try Self.image(base)
        var previous = 1.0
        for amplitude in [2, 10, 40, 120] {
            let noised = try Self.image(base.merging(["noise": 1000 + amplitude, "amplitude": amplitude]) { $1 })
            let value = MSSSIM.index(clean, noised, side: 64)
            #expect(value < previous, "amplitude \(amplitude): \(value) after \(previous)")
            previous = value
        }
    }

    @Test func scalesAndWeights() {
        #expect(MSSSIM.scaleCount(side: 6) == 0)
        #expect(MSSSIM.scaleCount(side: 7) == 1)
        #expect(MSSSIM.scaleCount(side: 13) == 1)
        #expect(MSSSIM.scaleCount(side: 14) == 2)
        #expect(MSSSIM.scaleCount(side: 32) == 3)
        #expect(MSSSIM.scaleCount(side: 64) == 4)
        #expect(MSSSIM.scaleCount(side: 112) == 5)
        #expect(MSSSIM.scaleCount(side: 1024) == 5)
        for side in [7, 14, 32, 64, 256] {
            #expect(abs(MSSSIM.weights(side: side).reduce(0, +) - 1) < 1e-15)
        }
        #expect(MSSSIM.weights(side: 256) == MSSSIM.scaleWeights.map { $0 / MSSSIM.scaleWeights.reduce(0, +) })
    }

    /// The set of six 32-px images: all 15 pairs, then a seeded subset of them.
    @Test func meanPairwiseMatchesThePairValues() throws {
        let set = try #require(try Self.fixture()["set"] as? [String: Any])
        let images = try (try #require(set["images"] as? [[String: Any]])).map(Self.image)
        let values = try #require(set["pair_values"] as? [Double])
        let mean = try #require(set["mean"] as? Double)
        let all = try #require(MSSSIM.meanPairwise(images, side: 32))
        #expect(abs(all - mean) < 1e-9, "\(all) vs \(mean)")

        // pair_values is in the order (0, 1), (0, 2), …, (4, 5).
        var pairIndex = [Int: Int]()
        for i in 0..<6 { for j in (i + 1)..<6 { pairIndex[i * 6 + j] = pairIndex.count } }
        for seed: UInt64 in [0, 3, 77] {
            let subset = MSSSIM.pairs(imageCount: 6, maxPairs: 5, seed: seed)
            let expected = subset.reduce(0.0) { $0 + values[pairIndex[$1.0 * 6 + $1.1]!] } / 5
            let sampled = try #require(MSSSIM.meanPairwise(images, side: 32, maxPairs: 5, seed: seed))
            #expect(abs(sampled - expected) < 1e-9, "seed \(seed): \(sampled) vs \(expected)")
        }
    }

    @Test func pairSelection() {
        let all = MSSSIM.pairs(imageCount: 4, maxPairs: 6, seed: 1)
        #expect(all.map { [$0.0, $0.1] } == [[0, 1], [0, 2], [0, 3], [1, 2], [1, 3], [2, 3]])
        #expect(MSSSIM.pairs(imageCount: 1, maxPairs: 10, seed: 0).isEmpty)
        #expect(MSSSIM.pairs(imageCount: 0, maxPairs: 10, seed: 0).isEmpty)

        for (count, limit) in [(100, 2000), (64, 2015), (1000, 50), (3, 2)] {
            let first = MSSSIM.pairs(imageCount: count, maxPairs: limit, seed: 42)
            let again = MSSSIM.pairs(imageCount: count, maxPairs: limit, seed: 42)
            #expect(first.map { [$0.0, $0.1] } == again.map { [$0.0, $0.1] })
            #expect(first.count == min(limit, count * (count - 1) / 2))
            #expect(first.allSatisfy { 0 <= $0.0 && $0.0 < $0.1 && $0.1 < count })
            let keys = first.map { $0.0 * count + $0.1 }
            #expect(keys == keys.sorted() && Set(keys).count == keys.count, "sorted and distinct")
        }
        let other = MSSSIM.pairs(imageCount: 100, maxPairs: 2000, seed: 43)
        #expect(other.map { [$0.0, $0.1] } != MSSSIM.pairs(imageCount: 100, maxPairs: 2000, seed: 42).map { [$0.0, $0.1] })
    }

    @Test func meanPairwiseEdgeCases() throws {
        let image = try Self.image(["pattern": 1, "side": 16])
        #expect(MSSSIM.meanPairwise([], side: 16) == nil)
        #expect(MSSSIM.meanPairwise([image], side: 16) == nil)
        #expect(MSSSIM.meanPairwise([[Float](repeating: 0, count: 36), [Float](repeating: 1, count: 36)], side: 6) == nil)
        #expect(MSSSIM.meanPairwise([image, image, image], side: 16) == 1)
    }

    @Test func independentOfWorkerCount() throws {
        let images = try (0..<12).map { try Self.image(["pattern": 40 + $0 % 4, "side": 32, "noise": $0, "amplitude": 20]) }
        let one = Parallel.withWorkers(1) { MSSSIM.meanPairwise(images, side: 32, maxPairs: 30, seed: 5) }
        let two = Parallel.withWorkers(2) { MSSSIM.meanPairwise(images, side: 32, maxPairs: 30, seed: 5) }
        #expect(one != nil && one == two)
    }
}

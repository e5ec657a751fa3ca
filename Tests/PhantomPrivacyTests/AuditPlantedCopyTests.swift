import PhantomPrivacy
import Testing

/// The audit on planted copies of training images among fresh samples.
@Suite struct AuditPlantedCopyTests {
    static let side = 24
    let patterns = SmoothPatterns(side: side)
    /// 80 training patterns, seeds 1000…1079.
    static let trainingImages = (0..<80).map { SmoothPatterns(side: side).pattern(seed: 1000 + UInt64($0)) }

    /// Samples 0–3 copy training images 3, 7, 11 and 19 (exactly, shifted by two
    /// pixels, under noise of σ = 0.05, left half only); samples 4… are fresh patterns
    /// (their ratios are 0.59–0.9).
    func plantedSamples(fresh: Int) -> [[Float]] {
        [
            patterns.pattern(seed: 1003),
            patterns.pattern(seed: 1007, shiftX: 2),
            patterns.noisy(patterns.pattern(seed: 1011), sigma: 0.05, seed: 5),
            patterns.halves(left: patterns.pattern(seed: 1019), right: patterns.pattern(seed: 9000)),
        ] + (0..<fresh).map { patterns.pattern(seed: 5000 + UInt64($0)) }
    }

    @Test func plantedCopiesAreFlaggedAndFreshSamplesAreNot() throws {
        let result = try MemorizationAudit.run(
            samples: AuditImages(side: Self.side, images: plantedSamples(fresh: 20)),
            training: AuditImages(side: Self.side, images: Self.trainingImages))
        #expect(result.samples.indices.filter { result.samples[$0].isFlagged } == [0, 1, 2, 3])
        #expect(result.samples[0...3].map(\.strongest.training) == [3, 7, 11, 19])
        #expect(result.samples[0].nearest == SampleAudit.Match(training: 3, distance: 0, ratio: 0))
        #expect(result.samples[1].shifted.distance == 0 && result.samples[1].shifted.training == 7)
        #expect(result.samples[3].half.distance == 0 && result.samples[3].half.training == 19)
        // Each kind of copy is caught by the ratio meant for it.
        #expect(result.samples[1].nearest.ratio > 1.0 / 3 && result.samples[1].shifted.ratio == 0)
        #expect(result.samples[3].nearest.ratio > 1.0 / 3 && result.samples[3].half.ratio == 0)
        #expect(result.samples[2].nearest.ratio < 0.2 && result.samples[2].nearest.training == 11)
        #expect(result.flaggedCount == 4)
        #expect(result.summary == "4 of 24 samples flagged (16.7%)")
    }

    @Test func shiftsInEveryDirectionAreCaught() throws {
        let shifts = [(-2, 0), (0, 2), (1, -1), (-2, -2), (2, 1)]
        let samples = shifts.enumerated().map { index, shift in
            patterns.pattern(seed: 1030 + UInt64(index), shiftX: shift.0, shiftY: shift.1)
        }
        let result = try MemorizationAudit.run(
            samples: AuditImages(side: Self.side, images: samples),
            training: AuditImages(side: Self.side, images: Self.trainingImages))
        #expect(result.samples.map(\.shifted.training) == [30, 31, 32, 33, 34])
        #expect(result.samples.allSatisfy { $0.isFlagged && $0.shifted.distance == 0 })
    }

    @Test func topAndRightHalfCopiesAreCaught() throws {
        let source = patterns.pattern(seed: 1050), other = patterns.pattern(seed: 9100)
        let pixels = Self.side * Self.side
        let samples = [
            (0..<pixels).map { $0 < pixels / 2 ? source[$0] : other[$0] },
            patterns.halves(left: other, right: source),
        ]
        let result = try MemorizationAudit.run(
            samples: AuditImages(side: Self.side, images: samples),
            training: AuditImages(side: Self.side, images: Self.trainingImages))
        #expect(result.samples.map(\.half.training) == [50, 50])
        #expect(result.samples.allSatisfy { $0.isFlagged && $0.half.ratio == 0 })
    }
}

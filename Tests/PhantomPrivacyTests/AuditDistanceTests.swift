import PhantomPrivacy
import PhantomTensor
import Synchronization
import Testing

/// The blocked-GEMM audit against the definitions computed naively in Double.
@Suite struct AuditDistanceTests {
    /// Odd side (uneven quadrants, shift windows not a multiple of 8), more training
    /// images than one GEMM block and more samples than one work item.
    static let side = 9
    static let samples = randomImages(count: 66, side: side, seed: 1)
    static let training = randomImages(count: 260, side: side, seed: 2)

    @Test func matchesNaiveComputation() throws {
        let result = try MemorizationAudit.run(
            samples: Self.samples, training: Self.training, configuration: AuditConfiguration(neighbourCount: 20))
        let naive = NaiveAudit(samples: Self.samples, training: Self.training, k: 20)
        for (index, audit) in result.samples.enumerated() {
            expect(audit.nearest, matches: naive.nearest(index))
            expect(audit.shifted, matches: naive.shifted(index))
            expect(audit.half, matches: naive.half(index))
        }
    }

    @Test func trainingNearestNeighboursExcludeSelf() throws {
        var pixels = Self.training.pixels
        let side = Self.training.side, length = side * side
        // Image 7 duplicates image 2.
        pixels.replaceSubrange((7 * length)..<(8 * length), with: pixels[(2 * length)..<(3 * length)])
        let training = AuditImages(side: side, pixels: pixels)
        let result = try MemorizationAudit.run(samples: Self.samples, training: training)
        #expect(result.trainingNearest[2] == 7 && result.trainingNearest[7] == 2)
        #expect(result.trainingNearestDistances[2] == 0 && result.trainingNearestDistances[7] == 0)
        let naive = NaiveAudit(samples: Self.samples, training: training, k: 1)
        for image in 0..<training.count {
            let (index, distance) = naive.trainingNearest(image)
            #expect(result.trainingNearest[image] == index)
            #expect(abs(Double(result.trainingNearestDistances[image]) - distance) <= 1e-4 * max(1, distance))
        }
        #expect(result.trainingDistances?.minimum == 0)
        #expect(result.trainingDistances?.count == training.count)
    }

    @Test func oneTrainingImageHasNoTrainingNeighbour() throws {
        let training = randomImages(count: 1, side: Self.side, seed: 3)
        let result = try MemorizationAudit.run(samples: Self.samples, training: training)
        #expect(result.trainingNearest.isEmpty && result.trainingDistances == nil)
        #expect(result.samples.allSatisfy { $0.nearest.training == 0 && $0.nearest.ratio == 1 })
    }

    @Test func neighbourCountIsCappedAtTheTrainingSet() throws {
        let training = randomImages(count: 10, side: Self.side, seed: 4)
        let result = try MemorizationAudit.run(samples: Self.samples, training: training)
        #expect(result.neighbourCount == 10 && result.usedAllTrainingImages)
        let naive = NaiveAudit(samples: Self.samples, training: training, k: 10)
        for (index, audit) in result.samples.enumerated() {
            expect(audit.nearest, matches: naive.nearest(index))
            expect(audit.half, matches: naive.half(index))
        }
    }

    @Test func resultsAreIdenticalForAnyThreadCount() throws {
        let samples = randomImages(count: 130, side: 12, seed: 5), training = randomImages(count: 530, side: 12, seed: 6)
        var results: [AuditResult] = []
        for threads in [1, 2, 3] {
            try Parallel.withWorkers(threads) {
                results.append(try MemorizationAudit.run(
                    samples: samples, training: training, configuration: AuditConfiguration(neighbourCount: 5)))
            }
        }
        for result in results.dropFirst() {
            #expect(result.samples == results[0].samples)
            #expect(result.trainingNearest == results[0].trainingNearest)
            #expect(result.trainingNearestDistances == results[0].trainingNearestDistances)
        }
    }

    @Test func progressCountsEveryPairOnceInOrder() throws {
        let recorded = Recorder()
        _ = try MemorizationAudit.run(samples: Self.samples, training: Self.training) { recorded.append($0) }
        let reports = recorded.values
        let total = 66 * 260 + 260 * 259 / 2
        #expect(reports.allSatisfy { $0.totalPairs == total })
        #expect(zip(reports, reports.dropFirst()).allSatisfy { $0.completedPairs <= $1.completedPairs })
        #expect(reports.last?.completedPairs == total && reports.last?.stage == .training)
        #expect(reports.first?.stage == .samples && reports.first?.completedPairs == 0)
    }

    private func expect(
        _ match: SampleAudit.Match, matches naive: (Int, Double, Double),
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        #expect(match.training == naive.0, sourceLocation: sourceLocation)
        #expect(abs(Double(match.distance) - naive.1) <= 1e-4 * max(1, naive.1), sourceLocation: sourceLocation)
        #expect(abs(Double(match.ratio) - naive.2) <= 1e-4, sourceLocation: sourceLocation)
    }
}

/// Collects progress reports from any thread.
final class Recorder: Sendable {
    private let stored = Mutex<[AuditProgress]>([])

    func append(_ value: AuditProgress) { stored.withLock { $0.append(value) } }

    var values: [AuditProgress] { stored.withLock { $0 } }
}

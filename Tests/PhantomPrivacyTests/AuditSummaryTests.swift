@testable import PhantomPrivacy
import Testing

/// Summaries of distances and of a whole audit.
@Suite struct AuditSummaryTests {
    @Test func distanceSummaryInterpolatesPercentiles() throws {
        let summary = try #require(DistanceSummary([4, 0, 3, 1, 2]))
        #expect(summary.count == 5 && summary.minimum == 0 && summary.maximum == 4)
        #expect(summary.median == 2 && summary.mean == 2)
        #expect(summary.percentile5 == 0.2 && summary.percentile95 == 3.8)
        #expect(DistanceSummary([7])?.percentile95 == 7)
        #expect(DistanceSummary([]) == nil)
    }

    @Test func summaryLineCountsFlaggedSamples() {
        #expect(result(flagged: 3, of: 1000).summary == "3 of 1000 samples flagged (0.3%)")
        #expect(result(flagged: 0, of: 445).summary == "0 of 445 samples flagged (0.0%)")
        #expect(result(flagged: 2, of: 3).summary == "2 of 3 samples flagged (66.7%)")
        #expect(result(flagged: 1, of: 40000).summary == "1 of 40000 samples flagged (0.0025%)")
    }

    @Test func flaggedSamplesComeMostCopyLikeFirst() {
        var audit = result(flagged: 3, of: 5)
        audit.samples[1].half.ratio = 0.01
        #expect(audit.flagged == [1, 0, 2])
        #expect(audit.samples[1].strongest.ratio == 0.01)
    }

    /// A result whose first `flagged` of `count` samples are flagged (ratio 0.2, others 0.9).
    private func result(flagged: Int, of count: Int) -> AuditResult {
        let samples = (0..<count).map { index in
            let match = SampleAudit.Match(training: 0, distance: 1, ratio: index < flagged ? 0.2 : 0.9)
            return SampleAudit(nearest: match, shifted: match, half: match, isFlagged: index < flagged)
        }
        return AuditResult(
            configuration: AuditConfiguration(), neighbourCount: 50, samples: samples,
            trainingNearest: [], trainingNearestDistances: [])
    }
}

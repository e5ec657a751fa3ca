import Synchronization

/// How far an audit has got, counted in image pairs compared.
public struct AuditProgress: Sendable, Hashable {
    /// What the audit is comparing.
    public enum Stage: Sendable, Hashable {
        /// Every sample with every training image.
        case samples
        /// Every training image with every other (the scale of typical distances).
        case training
    }

    /// The current stage.
    public var stage: Stage
    /// Pairs compared so far, over both stages.
    public var completedPairs: Int
    /// Pairs the whole audit compares: `samples × training + training × (training − 1) / 2`.
    public var totalPairs: Int

    /// `completedPairs / totalPairs`, in [0, 1].
    public var fraction: Double {
        totalPairs > 0 ? Double(completedPairs) / Double(totalPairs) : 1
    }
}

/// Counts pairs from many workers and reports each step to one callback, one call
/// at a time and with `completedPairs` increasing.
final class ProgressCounter: Sendable {
    private let report: (@Sendable (AuditProgress) -> Void)?
    private let state: Mutex<AuditProgress>

    init(totalPairs: Int, report: (@Sendable (AuditProgress) -> Void)?) {
        self.report = report
        state = Mutex(AuditProgress(stage: .samples, completedPairs: 0, totalPairs: totalPairs))
    }

    /// Starts `stage` and reports it.
    func begin(_ stage: AuditProgress.Stage) {
        state.withLock { progress in
            progress.stage = stage
            report?(progress)
        }
    }

    /// Adds `pairs` compared pairs and reports the new total.
    func advance(by pairs: Int) {
        guard let report else { return }
        state.withLock { progress in
            progress.completedPairs += pairs
            report(progress)
        }
    }
}

import Foundation
import PhantomPrivacy
import Synchronization

/// Shows an audit's progress on standard error: a redrawn bar with the time left on
/// a terminal, a plain line every 10% otherwise.
final class AuditProgressDisplay: Sendable {
    private struct State {
        var start = Date()
        var lastDraw = Date.distantPast
        var lastTenth = -1
    }

    private let state = Mutex(State())

    /// Draws `progress` (the audit calls this one call at a time).
    func update(_ progress: AuditProgress) {
        state.withLock { state in
            let fraction = progress.fraction
            let stage = progress.stage == .samples ? "samples vs training" : "training vs training"
            if Terminal.isInteractive {
                let now = Date()
                guard now.timeIntervalSince(state.lastDraw) >= 0.1 || fraction >= 1 else { return }
                state.lastDraw = now
                let elapsed = now.timeIntervalSince(state.start)
                let left = fraction > 0 ? elapsed * (1 - fraction) / fraction : .infinity
                Terminal.progress(
                    "\(Terminal.bar(fraction)) \(Int(fraction * 100))% \(stage), \(Terminal.duration(left)) left")
            } else {
                let tenth = Int(fraction * 10)
                guard tenth > state.lastTenth else { return }
                state.lastTenth = tenth
                FileHandle.standardError.write(Data("audit: \(tenth * 10)% (\(stage))\n".utf8))
            }
        }
    }

    /// Ends the progress line.
    func finish() {
        Terminal.endProgress()
    }
}

import Foundation
import PhantomDiffusion

/// Shows training progress: a live line on a terminal (step, smoothed loss,
/// images/s, ETA), one plain line every `logEvery` steps otherwise.
final class TrainingProgress {
    let totalSteps: Int
    let batchSize: Int
    let logEvery: Int
    private var smoothedLoss: Double?
    private var lastDraw = Date.distantPast

    init(totalSteps: Int, batchSize: Int, logEvery: Int) {
        self.totalSteps = totalSteps
        self.batchSize = batchSize
        self.logEvery = logEvery
    }

    func update(_ report: StepReport, imagesPerSecond: Double) {
        if report.loss.isFinite {
            smoothedLoss = smoothedLoss.map { 0.95 * $0 + 0.05 * report.loss } ?? report.loss
        }
        let eta = imagesPerSecond > 0 ? Double((totalSteps - report.step) * batchSize) / imagesPerSecond : .infinity
        let loss = smoothedLoss.map { String(format: "%.4f", $0) } ?? "nan"
        let skipped = report.skipped ? " (skipped: non-finite)" : ""
        let text = "step \(report.step)/\(totalSteps) loss \(loss) lr \(String(format: "%.2e", report.learningRate)) "
            + "\(String(format: "%.1f", imagesPerSecond)) img/s ETA \(Terminal.duration(eta))\(skipped)"
        if Terminal.isInteractive {
            let now = Date()
            guard now.timeIntervalSince(lastDraw) > 0.2 || report.step == totalSteps else { return }
            lastDraw = now
            Terminal.progress("\(Terminal.bar(Double(report.step) / Double(totalSteps))) \(text)")
        } else if report.step % logEvery == 0 || report.step == totalSteps || report.skipped {
            print(text)
            fflush(nil)
        }
    }
}

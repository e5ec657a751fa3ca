import Foundation
import PhantomImaging
import PhantomTestSupport
import Testing
@testable import PhantomDiffusion

/// ``TrainingJob``: how a new run is set up and recorded, how a resumed one takes its
/// records over the request, and what it refuses.
@Suite(.serialized) struct TrainingJobTests {
    /// A temporary folder with `data/<a|b>/n.png` (four 8×8 images per class).
    struct Workspace {
        let root = TrainingRunTests.temporaryFolder()
        var data: String { root.appendingPathComponent("data").path }
        func path(_ name: String) -> String { root.appendingPathComponent(name).path }

        init() throws {
            for (label, name) in ["a", "b"].enumerated() {
                let folder = root.appendingPathComponent("data/\(name)")
                try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
                for n in 0..<4 {
                    let pixels = (0..<64).map { Float(($0 * (n + 1) + label * 17) % 64) / 63 }
                    try PNGEncoder.write(GrayImage(width: 8, height: 8, bitDepth: .eight, floats: pixels),
                                         to: folder.appendingPathComponent("\(n).png").path)
                }
            }
        }

        /// A request for a tiny preset run of `steps` steps on 8×8 images, batch 2.
        func request(_ out: String, steps: Int = 2) -> TrainingJob.Request {
            .tinyTestRun(data: data, out: path(out), steps: steps)
        }

        func remove() { try? FileManager.default.removeItem(at: root) }
    }

    @Test func aNewRunRecordsItsSetupAndAResumedRunKeepsIt() throws {
        let space = try Workspace()
        defer { space.remove() }
        var first = space.request("run", steps: 3)
        first.plan.stopAfterSteps = 1
        var starts: [TrainingJob.Start] = []
        let stopped = try TrainingJob.run(first, onEvent: { if case .starting(let start) = $0 { starts.append(start) } })
        #expect(stopped.outcome != TrainingRun.Outcome.finished)
        let (settings, config, scheduler) = try RunFolder(URL(fileURLWithPath: space.path("run"))).load()
        #expect(settings.classNames == ["a", "b"])
        #expect(config.numClassEmbeds == 3)        // a preset gets one embedding per class plus the null class
        #expect(config.sampleSize == 8)
        #expect(settings.options.learningRate == DefaultRecipe.learningRate)
        #expect(settings.options.snrGamma == DefaultRecipe.snrGamma)
        #expect(scheduler.predictionType == DefaultRecipe.predictionType)
        #expect(starts.map(\.resumed) == [false])
        #expect(starts.first?.imageCount == 8)

        var again = space.request("run", steps: 50)
        again.resume = true
        again.options.learningRate = 0.5
        var events: [String] = []
        let finished = try TrainingJob.run(again, onEvent: { event in
            switch event {
            case .resuming: events.append("resuming")
            case .starting(let start): events.append("start \(start.resumed) \(start.resumedAt ?? -1) \(start.settings.options.steps)")
            case .step(let report, _): events.append("step \(report.step)")
            default: break
            }
        })
        #expect(finished.outcome == .finished)
        #expect(finished.settings == settings)         // the stored settings, not the request's
        #expect(events == ["resuming", "start true 1 3", "step 2", "step 3"])
    }

    @Test func aRunFromAModelsWeightsTakesItsPredictionAndPlansItsPrivacy() throws {
        let space = try Workspace()
        defer { space.remove() }
        _ = try TrainingJob.run(space.request("base", steps: 1))
        var request = space.request("tuned")
        request.model = .weights(space.path("base/model"))
        request.resolution = nil
        request.epochs = 1
        var privacy = TrainingJob.PrivacyRequest()
        privacy.noiseMultiplier = 1
        request.privacy = privacy
        request.plan.stopAfterSteps = 1
        let result = try TrainingJob.run(request)
        #expect(result.settings.options.steps == 4)     // 8 images, batch 2
        #expect(result.settings.options.privacy?.noiseMultiplier == 1)
        #expect(result.settings.options.privacy?.sampleRate == 0.25)
        #expect(result.settings.initFrom == space.path("base/model"))
        #expect(result.settings.resolution == 8)
        #expect(result.settings.initNewClasses == nil)

        var renamed = space.request("renamed", steps: 1)
        renamed.model = .weightsWithNewClasses(space.path("base/model"))
        renamed.resolution = nil
        #expect(try TrainingJob.run(renamed).settings.initNewClasses == true)
    }

    @Test func refusals() throws {
        let space = try Workspace()
        defer { space.remove() }
        func failure(_ request: TrainingJob.Request) -> String? {
            do { _ = try TrainingJob.run(request); return nil } catch { return "\(error)" }
        }
        _ = try TrainingJob.run(space.request("run", steps: 1))
        #expect(failure(space.request("run"))?.contains("already holds a training run") == true)
        var odd = space.request("odd")
        odd.resolution = 6
        #expect(failure(odd)?.contains("not a multiple of 4") == true)
        var missing = space.request("missing")
        missing.data = space.path("nothing")
        #expect(failure(missing)?.hasPrefix(space.path("nothing")) == true)
        #expect(!RunFolder(URL(fileURLWithPath: space.path("missing"))).holdsRun)

        // An evaluation that cannot be made refuses the run before anything is written, so the
        // corrected command needs no --resume.
        #expect(throws: NoEvaluation.self) {
            _ = try TrainingJob.run(space.request("evaluated"), makeEvaluator: { _ in throw NoEvaluation() })
        }
        #expect(!RunFolder(URL(fileURLWithPath: space.path("evaluated"))).holdsRun)
        #expect(try TrainingJob.run(space.request("evaluated")).outcome == .finished)

        let folder = RunFolder(URL(fileURLWithPath: space.path("locked")))
        try FileManager.default.createDirectory(at: folder.url, withIntermediateDirectories: true)
        var held: RunFolder.Lock? = try folder.lock()
        #expect(throws: TrainingError.self) { _ = try folder.lock() }
        #expect(held != nil)
        held = nil
        _ = try folder.lock()   // released with its holder
    }
}

/// What a test's evaluator factory throws.
private struct NoEvaluation: Error {}

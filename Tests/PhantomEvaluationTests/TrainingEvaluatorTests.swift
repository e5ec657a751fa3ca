import Foundation
import PhantomDiffusion
import PhantomImaging
import PhantomTestSupport
import Testing
@testable import PhantomEvaluation

/// ``TrainingEvaluator/factory(real:cacheDirectory:progress:)``: the evaluation
/// `phantom train --eval-every` runs, wired into a ``TrainingJob``.
@Suite(.serialized) struct TrainingEvaluatorTests {
    static let side = 8

    /// A temporary folder with `train/` and `test/` ShapeScans trees (8×8, 6 and 4 per class).
    struct Workspace {
        let root = FileManager.default.temporaryDirectory
            .appendingPathComponent("phantom-training-evaluator-\(UUID().uuidString)")
        func path(_ name: String) -> String { root.appendingPathComponent(name).path }

        init() throws {
            let scans = ShapeScans(side: TrainingEvaluatorTests.side)
            try ShapeScans.write(scans.set(perClass: 6, seed: 1), side: TrainingEvaluatorTests.side,
                                 to: root.appendingPathComponent("train"))
            try ShapeScans.write(scans.set(perClass: 4, seed: 2), side: TrainingEvaluatorTests.side,
                                 to: root.appendingPathComponent("test"))
        }

        /// A tiny-preset run of 2 steps on `data`, evaluated at step 2 with 2 samples per class.
        func request(data: String) -> TrainingJob.Request {
            var request = TrainingJob.Request.tinyTestRun(data: data, out: path("run"), side: TrainingEvaluatorTests.side)
            request.plan.evaluateEvery = 2
            request.plan.evaluationSamplesPerClass = 2
            return request
        }

        func remove() { try? FileManager.default.removeItem(at: root) }
    }

    @Test func aRunIsScoredAtItsEvaluationStepsAndLogsTheMetrics() throws {
        let space = try Workspace()
        defer { space.remove() }
        var progressCalls = 0
        let factory = TrainingEvaluator.factory(real: space.path("test"), cacheDirectory: nil) { _, _ in progressCalls += 1 }
        var evaluated: [(step: Int, metrics: [String: Double])] = []
        _ = try TrainingJob.run(space.request(data: space.path("train")), makeEvaluator: factory, onEvent: { event in
            if case let .evaluated(step, metrics) = event { evaluated.append((step, metrics)) }
        })
        #expect(progressCalls > 0)                               // no cache: the feature network was trained
        #expect(evaluated.map(\.step) == [2])
        let metrics = try #require(evaluated.first?.metrics)
        #expect(metrics["eval_samples"] == 6)                     // 2 per class, 3 classes
        for key in ["eval_frechet", "eval_frechet_reference", "eval_class_consistency", "eval_precision", "eval_recall"] {
            #expect(metrics[key]?.isFinite == true, "\(key)")
        }
        #expect((0...1).contains(metrics["eval_class_consistency"] ?? -1))
        #expect(metrics.keys.allSatisfy { $0.hasPrefix(TrainingEvaluator.metricPrefix) })
        #expect(TrainingEvaluator.displayName(ofMetric: "eval_frechet_reference") == "frechet_reference")

        // The same metrics are the run's metrics.jsonl line for step 2.
        let lines = try String(contentsOfFile: space.path("run/metrics.jsonl"), encoding: .utf8)
            .split(separator: "\n").compactMap { try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        let logged = try #require(lines.first { $0["eval_frechet"] != nil })
        #expect(logged["step"] as? Int == 2)
        #expect(logged["eval_frechet"] as? Double == metrics["eval_frechet"])
    }

    @Test func aRunWithoutClassFoldersIsRefusedNamingItsData() throws {
        let space = try Workspace()
        defer { space.remove() }
        let flat = space.path("train/disc")                       // PNGs directly inside: one unnamed class
        do {
            _ = try TrainingJob.run(space.request(data: flat),
                                    makeEvaluator: TrainingEvaluator.factory(real: space.path("test"), cacheDirectory: nil))
            Issue.record("a run of one class was evaluated")
        } catch let error as EvaluationError {
            #expect(error.path == flat)
            #expect(error.reason.contains("class folders"))
        }
    }

    @Test func aTestFolderWithOtherClassesIsRefused() throws {
        let space = try Workspace()
        defer { space.remove() }
        try FileManager.default.moveItem(atPath: space.path("test/ring"), toPath: space.path("test/torus"))
        #expect(throws: EvaluationError.self) {
            _ = try TrainingJob.run(space.request(data: space.path("train")),
                                    makeEvaluator: TrainingEvaluator.factory(real: space.path("test"), cacheDirectory: nil))
        }
    }
}

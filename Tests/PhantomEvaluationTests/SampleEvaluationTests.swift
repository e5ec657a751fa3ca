import Foundation
import PhantomEvaluation
import PhantomImaging
import Testing

/// `phantom evaluate` end to end on small shape scans it makes itself: the real
/// references behave, degradations score worse in order, copies are caught, and bad
/// input gets an error naming the file.
@Suite(.serialized) struct SampleEvaluationTests {
    static let side = 16
    static let scans = ShapeScans(side: side)

    /// Train and test folders written once for the suite, removed when the test process exits.
    static let folders: (root: URL, train: URL, test: URL) = {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("phantom-eval-\(UUID().uuidString)")
        let train = root.appendingPathComponent("train"), test = root.appendingPathComponent("test")
        try! ShapeScans.write(scans.set(perClass: 60, seed: 1), side: side, to: train)
        try! ShapeScans.write(scans.set(perClass: 30, seed: 2), side: side, to: test)
        atexit { try? FileManager.default.removeItem(at: SampleEvaluationTests.folders.root) }
        return (root, train, test)
    }()

    static var network: String { folders.root.appendingPathComponent("net.safetensors").path }

    func evaluate(_ samples: [[[Float]]], name: String, audit: Bool = false) throws -> EvaluationReport {
        let folder = Self.folders.root.appendingPathComponent(name)
        try? FileManager.default.removeItem(at: folder)
        try ShapeScans.write(samples, side: Self.side, to: folder)
        var request = EvaluationRequest(real: Self.folders.test.path, samples: folder.path)
        request.train = Self.folders.train.path
        request.network = Self.network
        request.memorization = audit
        return try SampleEvaluation.run(request)
    }

    /// The test images as samples, degraded by `transform`.
    func degradedTest(_ transform: ([Float], Int) -> [Float]) -> [[[Float]]] {
        Self.scans.set(perClass: 30, seed: 2).enumerated().map { label, set in
            set.enumerated().map { transform($1, label * 1000 + $0) }
        }
    }

    @Test func realReferencesAndDegradationsAreOrdered() throws {
        let clean = try evaluate(degradedTest { pixels, _ in pixels }, name: "clean")
        #expect(clean.network.accuracyOnReal > 0.9, "the feature network learns the three shapes")
        // The real test images scored as samples: consistency is the network's accuracy.
        #expect(clean.overall.classConsistency.synthetic == clean.network.accuracyOnReal)
        #expect(clean.overall.frechetDistance.synthetic! < 1e-6)
        #expect(clean.overall.precision.synthetic == 1 && clean.overall.recall.synthetic == 1)
        let reference = try #require(clean.overall.frechetDistance.reference)

        var distances: [Double] = [], precisions: [Double] = []
        for sigma: Float in [0.1, 0.3, 0.6] {
            let report = try evaluate(degradedTest { ShapeScans.noised($0, sigma: sigma, key: UInt32($1)) }, name: "noise-\(sigma)")
            distances.append(report.overall.frechetDistance.synthetic!)
            precisions.append(report.overall.precision.synthetic!)
        }
        #expect(distances == distances.sorted() && Set(distances).count == 3, "Fréchet distance grows with noise: \(distances)")
        #expect(precisions[2] < precisions[0], "precision falls with noise: \(precisions)")
        #expect(distances[2] > reference, "heavy noise scores worse than real images: \(distances[2]) vs \(reference)")

        let blurred = try evaluate(degradedTest { pixels, _ in ShapeScans.blurred(ShapeScans.blurred(pixels, side: 16), side: 16) },
                                   name: "blur")
        #expect(blurred.overall.frechetDistance.synthetic! > reference, "blur scores worse than real images")
    }

    @Test func copiesOfTrainingImagesAreFlaggedAndNotDiverse() throws {
        // Two training images per class, each copied ten times.
        let copies = (0..<3).map { label in (0..<20).map { Self.scans.image(label: label, index: $0 % 2, seed: 1) } }
        let report = try evaluate(copies, name: "copies", audit: true)
        let memorization = try #require(report.memorization)
        #expect(memorization.flagged == 60, "every copy is flagged, \(memorization.flagged) were")
        for row in report.classes {
            #expect(row.diversity.synthetic! > row.diversity.reference! + 0.1,
                    "\(row.name): copies are less diverse (MS-SSIM \(row.diversity.synthetic!) vs \(row.diversity.reference!))")
        }
    }

    @Test func utilityArmsTrainForTheSameStepsAndTestOnReal() throws {
        // "Synthetic" images that are real test-distribution shapes: they should teach the classifier.
        let folder = Self.folders.root.appendingPathComponent("utility")
        try? FileManager.default.removeItem(at: folder)
        try ShapeScans.write(Self.scans.set(perClass: 10, seed: 4), side: Self.side, to: folder)
        var request = EvaluationRequest(real: Self.folders.test.path, samples: folder.path)
        request.train = Self.folders.train.path
        request.network = Self.network
        request.memorization = false
        request.utility = UtilityRequest(limitRealPerClass: 5, seeds: 2)
        let utility = try #require(try SampleEvaluation.run(request).utility)
        #expect(utility.arms.map(\.name) == ["real", "synthetic", "real+synthetic"])
        #expect(utility.arms.map(\.images) == [15, 30, 45])
        #expect(utility.steps == ClassifierRecipe().steps(forImages: 45), "every arm trains for the largest arm's steps")
        #expect(utility.arms.allSatisfy { $0.accuracies.count == 2 && $0.accuracies.allSatisfy { (0...1).contains($0) } })
        let synthetic = utility.arms[1]
        #expect(synthetic.mean > 0.8, "clean shapes teach the classifier: \(synthetic.accuracies)")
        #expect(synthetic.perClass.keys.sorted() == ShapeScans.classes)
    }

    @Test func badInputNamesTheFile() throws {
        let root = Self.folders.root
        func failure(_ request: EvaluationRequest) -> EvaluationError? {
            do { _ = try SampleEvaluation.run(request); return nil } catch { return error }
        }
        var request = EvaluationRequest(real: Self.folders.test.path, samples: root.appendingPathComponent("missing").path)
        request.network = Self.network
        request.train = Self.folders.train.path
        #expect(failure(request)?.path.hasSuffix("missing") == true)

        let empty = root.appendingPathComponent("empty/bar")
        try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
        request.samples = empty.deletingLastPathComponent().path
        #expect(failure(request) != nil)

        let stranger = root.appendingPathComponent("stranger")
        try ShapeScans.write([[Self.scans.image(label: 0, index: 0, seed: 3)]], side: 16, to: stranger)
        try FileManager.default.moveItem(at: stranger.appendingPathComponent("bar"), to: stranger.appendingPathComponent("lung"))
        request.samples = stranger.path
        let mismatch = failure(request)
        #expect(mismatch?.path.hasSuffix("lung") == true && mismatch?.reason.contains("not one of") == true, "\(String(describing: mismatch))")

        let broken = root.appendingPathComponent("broken/bar")
        try FileManager.default.createDirectory(at: broken, withIntermediateDirectories: true)
        try Data("not a png".utf8).write(to: broken.appendingPathComponent("x.png"))
        request.samples = broken.deletingLastPathComponent().path
        #expect(failure(request)?.path.hasSuffix("x.png") == true)

        // A network trained at 16x16 asked to evaluate at 32x32.
        _ = try evaluate(degradedTest { pixels, _ in pixels }, name: "clean")
        request.samples = Self.folders.test.path
        request.side = 32
        let resolution = failure(request)
        #expect(resolution?.path == Self.network && resolution?.reason.contains("16x16") == true, "\(String(describing: resolution))")
    }
}

import Foundation
import PhantomDiffusion
import Testing

/// ``Checkpoint/restore(_:from:)`` with a damaged `state.json`: a ``TrainingError/io(path:reason:)``
/// that names the file, raised before anything of the trainer is overwritten.
@Suite(.serialized) struct CheckpointStateTests {
    enum Damage: String, CaseIterable, CustomTestStringConvertible {
        case notJSON, truncated, missingEMASteps, stepIsAString, notAnObject, deleted
        var testDescription: String { rawValue }

        /// The new contents of `state.json`, nil to delete it.
        var contents: String? {
            switch self {
            case .notJSON: return "step 2"
            case .truncated: return "{\"step\": 2, \"optimizer_steps\": 2, \"ema_"
            case .missingEMASteps: return "{\"step\": 2, \"optimizer_steps\": 2, \"skipped_steps\": 0, \"seed\": \"5\"}"
            case .stepIsAString: return "{\"step\": \"2\", \"optimizer_steps\": 2, \"ema_steps\": 2}"
            case .notAnObject: return "[2, 2, 2]"
            case .deleted: return nil
            }
        }
    }

    @Test(arguments: Damage.allCases)
    func damagedStateIsAnIOErrorNamingTheFile(damage: Damage) throws {
        let folder = TrainingRunTests.temporaryFolder(), freshFolder = TrainingRunTests.temporaryFolder()
        defer {
            try? FileManager.default.removeItem(at: folder)
            try? FileManager.default.removeItem(at: freshFolder)
        }
        let trained = try TrainingRunTests.makeRun(folder: folder, steps: 2)
        #expect(try trained.run(shouldStop: { false }, onStep: { _, _ in }) == .finished)
        let checkpoint = try #require(Checkpoint.all(in: trained.checkpointFolder).last)
        #expect(checkpoint.step == 2)
        let stateFile = checkpoint.url.appendingPathComponent("state.json")
        if let contents = damage.contents {
            try Data(contents.utf8).write(to: stateFile)
        } else {
            try FileManager.default.removeItem(at: stateFile)
        }

        let fresh = try TrainingRunTests.makeRun(folder: freshFolder, steps: 2)
        let before = TrainingRunTests.state(fresh)
        let error = #expect(throws: TrainingError.self) { try Checkpoint.restore(fresh.trainer, from: checkpoint.url) }
        guard case let .io(file, reason)? = error else {
            Issue.record("expected TrainingError.io, got \(String(describing: error))")
            return
        }
        #expect(file == stateFile.path)
        #expect(!reason.isEmpty)
        #expect(error?.description.hasPrefix(stateFile.path + ": ") == true)
        #expect(fresh.trainer.step == 0)
        #expect(TrainingRunTests.state(fresh) == before, "nothing restored from a checkpoint whose state is unreadable")
    }
}

import Foundation
import PhantomDiffusion
import PhantomImaging
import Testing

/// `RunFolder`: the records a run starts with read back as written; a damaged record is an
/// error naming it; `--epochs` becomes steps.
@Suite struct RunFolderTests {
    @Test func startThenLoadGivesTheSameRecords() throws {
        let url = TrainingRunTests.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: url) }
        let folder = RunFolder(url)
        #expect(!folder.holdsRun)
        var options = TrainingOptions()
        options.steps = 123
        options.snrGamma = 5
        var scheduler = SchedulerConfig(kind: .ddpm)
        scheduler.predictionType = .vPrediction
        let reading = ImageReadOptions(dicomWindow: .fixed(center: 40, width: 400), squareFit: .pad)
        let settings = RunSettings(data: "/data/scans", resolution: 8, skipBad: true, reading: reading, options: options,
                                   classNames: ["a", "b"], bitDepth: 16, initFrom: "Weights/medimg-64")
        try folder.start(settings: settings, unetConfig: TrainingRunTests.tinyConfig(), schedulerConfig: scheduler)
        #expect(folder.holdsRun)
        let (loaded, config, loadedScheduler) = try folder.load()
        #expect(loaded == settings)
        #expect(config == TrainingRunTests.tinyConfig())
        #expect(loadedScheduler == scheduler)

        try Data("{".utf8).write(to: folder.settingsFile)
        let error = #expect(throws: TrainingError.self) { try folder.load() }
        #expect(error?.description.contains("run.json") == true)
    }

    /// A `run.json` written before the reading options existed still loads.
    @Test func settingsWithoutReadingOptionsLoad() throws {
        let url = TrainingRunTests.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: url) }
        let folder = RunFolder(url)
        let settings = RunSettings(data: "d", resolution: 8, skipBad: false, reading: nil, options: TrainingOptions(),
                                   classNames: [], bitDepth: 8)
        try folder.start(settings: settings, unetConfig: TrainingRunTests.tinyConfig(), schedulerConfig: SchedulerConfig(kind: .ddpm))
        var json = try JSONSerialization.jsonObject(with: Data(contentsOf: folder.settingsFile)) as! [String: Any]
        #expect(json["reading"] == nil)
        json["initFrom"] = nil
        try JSONSerialization.data(withJSONObject: json).write(to: folder.settingsFile)
        #expect(try folder.load().settings == settings)
    }

    @Test func epochsBecomeSteps() {
        #expect(TrainingOptions.steps(epochs: 1, imageCount: 10, batchSize: 4) == 3)
        #expect(TrainingOptions.steps(epochs: 2, imageCount: 10, batchSize: 4) == 5)
        #expect(TrainingOptions.steps(epochs: 0.5, imageCount: 16, batchSize: 4) == 2)
        #expect(TrainingOptions.steps(epochs: 0.01, imageCount: 10, batchSize: 4) == 1)
    }
}

import Foundation
import PhantomDiffusion
import PhantomImaging

/// What a training run folder records about itself (`RUN/run.json`), so
/// `--resume` continues with exactly the same settings.
struct RunSettings: Codable {
    var data: String
    var resolution: Int
    var skipBad: Bool
    /// How DICOM and NIfTI files were read (nil in runs made before the option existed: the defaults).
    var reading: ImageReadOptions? = nil
    var options: TrainingOptions
    var classNames: [String]
    var bitDepth: Int
    /// The model folder the run's weights started from (`--init-from`), if any.
    var initFrom: String? = nil

    static func url(in run: URL) -> URL { run.appendingPathComponent("run.json") }
    static func unetConfigURL(in run: URL) -> URL { run.appendingPathComponent("unet_config.json") }
    static func schedulerConfigURL(in run: URL) -> URL { run.appendingPathComponent("scheduler_config.json") }

    static func load(from run: URL) throws -> RunSettings {
        try JSONDecoder().decode(RunSettings.self, from: Data(contentsOf: url(in: run)))
    }

    func write(to run: URL) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(self).write(to: Self.url(in: run), options: .atomic)
    }
}

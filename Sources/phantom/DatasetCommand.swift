import ArgumentParser
import Foundation
import PhantomImaging

/// `phantom dataset FOLDER`: loads an image folder as training would and reports what
/// it found; fails on unreadable PNGs (unless `--skip-bad`) or a missing/empty folder.
struct DatasetCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dataset",
        abstract: "Check an image folder and summarise what training would load.",
        discussion: """
            FOLDER/<class>/** gives one class per first-level subfolder (sorted names are the \
            labels); images directly in FOLDER with no class subfolders form one unlabeled \
            class. PNG, JPEG, TIFF, NIfTI and DICOM files are read (a multi-page TIFF gives one \
            image per page, a NIfTI volume its slices, a DICOM file its frames), centre cropped \
            and resized to --resolution.
            """
    )

    @Argument(help: "The image folder.")
    var folder: String

    @Option(help: "The side, in pixels, images are resized to.")
    var resolution = 64

    @Flag(help: "Leave out unreadable image files instead of failing.")
    var skipBad = false

    @OptionGroup(title: "DICOM, NIfTI and whole-slide images") var reading: ReadingOptions

    func validate() throws {
        guard resolution > 0 else { throw ValidationError("--resolution must be positive, got \(resolution)") }
    }

    func run() throws {
        do throws(ImagingError) {
            let report = try DatasetReport(folder: folder, resolution: resolution, reading: reading.options)
            print(report.formatted())
            try report.validate(skipBad: skipBad)
        } catch {
            for issue in error.issues {
                printError("\(issue.path): \(issue.reason)")
            }
            let hint = error.kind == .unreadableImages ? " (--skip-bad leaves them out)" : ""
            printError("\(error.path): \(error.reason)\(hint)")
            throw ExitCode.failure
        }
    }

    private func printError(_ message: String) {
        FileHandle.standardError.write(Data("error: \(message)\n".utf8))
    }
}

import ArgumentParser
import Foundation
import PhantomImaging

/// `phantom dataset FOLDER`: loads an image folder as training would and reports what
/// it found; fails on unreadable images (unless `--skip-bad`) or a missing/empty folder.
/// With `--export OUT`, writes the loaded images as PNGs (``ImageFolderDataset/export(to:)``).
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

    @Option(help: ArgumentHelp(
        "Write the images as training holds them (resized PNGs in the same class folders) and a manifest.csv of their sources to this new or empty folder.",
        valueName: "folder"))
    var export: String?

    @OptionGroup(title: "Reading images: DICOM windows, NIfTI slices, slide tiles, square fit") var reading: ReadingOptions

    func validate() throws {
        guard resolution > 0 else { throw ValidationError("--resolution must be positive, got \(resolution)") }
    }

    func run() throws {
        do throws(ImagingError) {
            let dataset = try ImageFolderDataset.loadUnvalidated(
                root: folder, resolution: resolution, maxPixels: ImageSource.defaultMaxPixels, reading: reading.options)
            print(dataset.report.formatted())
            try dataset.report.validate(skipBad: skipBad)
            if let export {
                try dataset.export(to: export)
                print("exported \(dataset.count) images to \(export) (manifest.csv names each one's source)")
            }
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

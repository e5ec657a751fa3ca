import Foundation
import PhantomImaging

/// The image folders of an evaluation, loaded at one side with one class list.
struct EvaluationInputs {
    var side: Int
    var classNames: [String]
    var real: LabeledImages
    var realPaths: [String]
    var samples: LabeledImages
    var samplePaths: [String]
    var train: LabeledImages?
    var trainPaths: [String]

    /// The most common image side among the PNGs of `folder`.
    static func dominantSide(of folder: String) throws(EvaluationError) -> Int {
        let report: DatasetReport
        do { report = try DatasetReport(folder: folder, resolution: 8) } catch {
            throw EvaluationError(path: error.path, reason: error.reason)
        }
        guard let (size, _) = report.sizeHistogram.max(by: { $0.value < $1.value || ($0.value == $1.value && $0.key > $1.key) }) else {
            throw EvaluationError(path: folder, reason: "holds no readable PNG image")
        }
        return min(size.width, size.height)
    }

    /// Loads a labeled folder at `side`, reading DICOM and NIfTI files with `reading`.
    static func load(_ folder: String, side: Int, role: String,
                     reading: ImageReadOptions = ImageReadOptions()) throws(EvaluationError) -> ImageFolderDataset {
        let dataset: ImageFolderDataset
        do { dataset = try ImageFolderDataset.load(root: folder, resolution: side, reading: reading) } catch {
            let first = error.issues.first
            throw EvaluationError(path: first?.path ?? error.path, reason: first?.reason ?? error.reason)
        }
        guard dataset.isLabeled else {
            throw EvaluationError(path: folder, reason: "the \(role) folder has no class subfolders (expected \(folder)/<class>/*.png)")
        }
        return dataset
    }

    /// Checks that every class of `dataset` is one of `classNames` and maps it there.
    static func labeled(_ dataset: ImageFolderDataset, classNames: [String], role: String) throws(EvaluationError) -> LabeledImages {
        let index = Dictionary(uniqueKeysWithValues: classNames.enumerated().map { ($1, $0) })
        if let stranger = dataset.classNames.first(where: { index[$0] == nil }) {
            throw EvaluationError(path: "\(dataset.root)/\(stranger)",
                                  reason: "the \(role) class \"\(stranger)\" is not one of the feature network's classes (\(classNames.joined(separator: ", ")))")
        }
        return LabeledImages(dataset, classIndex: index)
    }

    static func paths(_ dataset: ImageFolderDataset) -> [String] {
        (0..<dataset.count).map(dataset.relativePath(at:))
    }
}

import Foundation
import PhantomImaging
import PhantomSafetensors

/// Writes a sampling run's images into its output folder: one PNG or DICOM file per
/// ``SamplePlan/Item`` at the item's path, and the optional grid.
struct SampleFiles {
    let out: URL
    /// The images' side in pixels.
    let side: Int
    let depth: BitDepth
    let format: SampleFileFormat

    /// Writes `pixels` (values in [0, 1], row by row) as `item`'s file; a DICOM file carries
    /// `identity`, which it must then be given.
    func write(_ pixels: [Float], as item: SamplePlan.Item, identity: SyntheticImageIdentity?) throws(ModelError) {
        let url = out.appendingPathComponent(item.fileName(extension: format.fileExtension))
        let image = GrayImage(width: side, height: side, bitDepth: depth, floats: pixels)
        do {
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        } catch {
            throw ModelError(path: url.path, reason: "cannot write (\(fileErrorReason(error, path: url.deletingLastPathComponent())))")
        }
        do {
            switch format {
            case .png:
                try PNGEncoder.write(image, to: url.path)
            case .dicom:
                guard let identity else { preconditionFailure("a DICOM sample needs its identity") }
                try DICOMEncoder.write(image, identity: identity, softwareVersion: "Phantom", to: url.path)
            }
        } catch {
            throw ModelError(path: error.path, reason: error.reason)
        }
    }

    /// Writes `tiles` (images by class name) to the PNG file `path`, one row per class of
    /// `classes`, rows padded with white tiles to the longest.
    func writeGrid(_ tiles: [String: [[Float]]], classes: [String], to path: String) throws(ModelError) {
        let columns = tiles.values.map(\.count).max() ?? 1
        let blank = [Float](repeating: 1, count: side * side)
        let ordered = classes.flatMap { name in
            let row = tiles[name] ?? []
            return row + Array(repeating: blank, count: columns - row.count)
        }
        do { try PNGEncoder.write(ImageGrid.tile(ordered, side: side, columns: columns), to: path) } catch {
            throw ModelError(path: error.path, reason: error.reason)
        }
    }
}

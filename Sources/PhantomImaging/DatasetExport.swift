import Foundation

extension ImageFolderDataset {
    /// The file an image is exported to, relative to the export folder: its relative path
    /// with the image extension dropped, the name of the image inside its file (a page, a
    /// NIfTI slice, a tile) appended after `-`, and `.png`:
    /// `"mri/head.nii.gz#axial-042"` → `"mri/head-axial-042.png"`, `"ct/IM0001"` → `"ct/IM0001.png"`,
    /// `"xray/stack.tif#2"` → `"xray/stack-2.png"`.
    public static func exportName(of relativePath: String) -> String {
        let (file, inside) = relativePath.lastIndex(of: "#").map {
            (String(relativePath[..<$0]), String(relativePath[relativePath.index(after: $0)...]))
        } ?? (relativePath, nil)
        var stem = file
        let lowered = file.lowercased()
        if let suffix = ImageFormat.allCases.flatMap(\.fileExtensions).map({ "." + $0 })
            .filter({ lowered.hasSuffix($0) }).max(by: { $0.count < $1.count }) {
            stem.removeLast(suffix.count)
        }
        return stem + (inside.map { "-" + $0 } ?? "") + ".png"
    }

    /// Writes every image, as training holds it (centre cropped and resized to
    /// ``resolution``, at ``bitDepth``), as a PNG into `folder`, in the same layout: one
    /// subfolder per class, each image at ``exportName(of:)`` of its relative path. A
    /// `manifest.csv` beside them gives, per image, `file,class,source`: the PNG, its class
    /// (empty when unlabeled) and the image it came from (``relativePath(at:)``).
    ///
    /// What a user exports is what a model trained on the source folder sees, so a folder of
    /// DICOM series, NIfTI volumes or slides can be checked by eye, shared as PNGs, or
    /// trained on again with the same result (PNG round trips the stored samples exactly).
    ///
    /// - Parameter folder: where to write; it must not exist or be empty, so nothing is
    ///   overwritten.
    /// - Throws: ``ImagingError`` `.writeFailed` naming `folder` when it holds files or two
    ///   images would get one name (`a.png` and `a.jpg` in one folder), or naming the file
    ///   that could not be written.
    public func export(to folder: String) throws(ImagingError) {
        let files = FileManager.default
        if let existing = try? files.contentsOfDirectory(atPath: folder), !existing.isEmpty {
            throw ImagingError(.writeFailed, path: folder, reason: "the export folder is not empty; give a new or empty folder")
        }
        let names = (0..<count).map { Self.exportName(of: relativePath(at: $0)) }
        var firstSource: [String: String] = [:]
        for (index, name) in names.enumerated() {
            if let other = firstSource.updateValue(relativePath(at: index), forKey: name) {
                throw ImagingError(.writeFailed, path: ImageFolderLayout.join(folder, name),
                                   reason: "both \(other) and \(relativePath(at: index)) would be exported to this name")
            }
        }
        var manifest = "file,class,source\n"
        for (index, name) in names.enumerated() {
            let path = ImageFolderLayout.join(folder, name)
            do {
                try files.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            } catch {
                throw ImagingError(.writeFailed, path: path, reason: "cannot create its folder (\(error.localizedDescription))")
            }
            try PNGEncoder.write(image(at: index), to: path)
            let className = label(at: index).map { classNames[$0] } ?? ""
            manifest += [name, className, relativePath(at: index)].map(Self.csvField).joined(separator: ",") + "\n"
        }
        try FileBytes.writeAll(Array(manifest.utf8), to: ImageFolderLayout.join(folder, "manifest.csv"))
    }

    /// `field` as one CSV field (RFC 4180): quoted when it holds a comma, quote or line break.
    private static func csvField(_ field: String) -> String {
        guard field.contains(where: { $0 == "," || $0 == "\"" || $0.isNewline }) else { return field }
        return "\"" + field.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}

import Foundation

/// The files of an image folder and the class each belongs to, before any is decoded.
///
/// Rules (see ``ImageFolderDataset`` for the user-facing summary):
/// - every first-level subfolder holding at least one image file (at any depth) is a
///   class; class names are sorted, and a class's index in that order is its label;
/// - with no such subfolder, image files directly in the root form one unlabeled class;
/// - with class subfolders, image files directly in the root are ignored and listed;
/// - files and folders whose names start with "." are ignored and not counted;
/// - other files are skipped and counted; an extension ``ImageSource/isImageFile(_:)``
///   accepts (`.png`, `.jpg`, `.jpeg`, `.tif`, `.tiff`, `.nii`, `.nii.gz`, any case) marks
///   an image file.
struct ImageFolderLayout {
    /// One image file to load.
    struct Entry {
        /// Path below the root, e.g. `"axial/patient1/slice003.png"`.
        var relativePath: String
        /// Index into ``classNames``; nil in an unlabeled folder.
        var label: Int?
    }

    /// Sorted class names; empty for an unlabeled folder.
    var classNames: [String] = []
    /// Files sorted by label, then path.
    var entries: [Entry] = []
    /// Files that are not images of a readable format (hidden files excluded).
    var skippedNonPNGCount = 0
    /// Image files directly in the root, ignored because class subfolders exist.
    var ignoredRootPNGs: [String] = []

    /// Lists `root`.
    ///
    /// - Throws: ``ImagingError/Kind/unreadable`` when `root` is missing, not a folder or
    ///   cannot be listed; ``ImagingError/Kind/noImages`` when it holds no image file.
    init(scanning root: String) throws(ImagingError) {
        let files = FileManager.default
        var isDirectory: ObjCBool = false
        guard files.fileExists(atPath: root, isDirectory: &isDirectory) else {
            throw ImagingError(.unreadable, path: root, reason: "no such folder")
        }
        guard isDirectory.boolValue else { throw ImagingError(.unreadable, path: root, reason: "not a folder") }
        let names: [String]
        do {
            names = try files.contentsOfDirectory(atPath: root)
        } catch {
            throw ImagingError(.unreadable, path: root, reason: "cannot list the folder")
        }

        var rootPNGs: [String] = []
        var classes: [(name: String, files: [String])] = []
        for name in names.sorted() where !Self.isHidden(name) {
            if Self.isDirectory(Self.join(root, name)) {
                let images = collectImages(in: root, below: name)
                if !images.isEmpty { classes.append((name, images.sorted())) }
            } else if ImageSource.isImageFile(atPath: Self.join(root, name)) {
                rootPNGs.append(name)
            } else {
                skippedNonPNGCount += 1
            }
        }

        if classes.isEmpty {
            entries = rootPNGs.map { Entry(relativePath: $0, label: nil) }
        } else {
            classNames = classes.map(\.name)
            entries = classes.enumerated().flatMap { label, folder in
                folder.files.map { Entry(relativePath: $0, label: label) }
            }
            ignoredRootPNGs = rootPNGs
        }
        guard !entries.isEmpty else { throw ImagingError(.noImages, path: root, reason: "no image files found (PNG, JPEG, TIFF, NIfTI or DICOM)") }
    }

    /// The image files anywhere below `root/folder`, as paths relative to `root`; counts
    /// the other files into ``skippedNonPNGCount``.
    private mutating func collectImages(in root: String, below folder: String) -> [String] {
        let folderPath = Self.join(root, folder)
        guard let walker = FileManager.default.enumerator(atPath: folderPath) else { return [] }
        var images: [String] = []
        while let relative = walker.nextObject() as? String {
            let isDirectory = Self.isDirectory(Self.join(folderPath, relative))
            if Self.isHidden((relative as NSString).lastPathComponent) {
                if isDirectory { walker.skipDescendants() }
            } else if isDirectory {
                continue
            } else if ImageSource.isImageFile(atPath: Self.join(folderPath, relative)) {
                images.append(Self.join(folder, relative))
            } else {
                skippedNonPNGCount += 1
            }
        }
        return images
    }

    /// `folder/name`, without doubling a trailing slash.
    static func join(_ folder: String, _ name: String) -> String {
        folder.hasSuffix("/") ? folder + name : folder + "/" + name
    }

    private static func isHidden(_ name: String) -> Bool { name.hasPrefix(".") }

    private static func isDirectory(_ path: String) -> Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && isDirectory.boolValue
    }
}

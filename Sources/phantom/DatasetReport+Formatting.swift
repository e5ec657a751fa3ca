import PhantomImaging

extension DatasetReport {
    /// The report as aligned, human-readable lines.
    func formatted() -> String {
        var lines = ["dataset \(root)"]
        let stored = storedBitDepth.map { ", stored \($0)" } ?? ""
        lines.append("  images:      \(imageCount) at \(resolution)x\(resolution)\(stored)")
        if isLabeled {
            lines.append("  classes:     \(classes.count)")
            let nameWidth = classes.map(\.name.count).max() ?? 0
            for (label, summary) in classes.enumerated() {
                let name = summary.name.padding(toLength: nameWidth, withPad: " ", startingAt: 0)
                lines.append("    \(label)  \(name)  \(summary.imageCount)")
            }
        } else {
            lines.append("  classes:     none (unlabeled: images directly in the folder)")
        }
        lines.append("  sizes:       " + histogram(sizeHistogram))
        lines.append("  bit depths:  " + histogram(bitDepthHistogram))
        lines.append(formats.isEmpty ? "  formats:     none" : "  formats:")
        let formatWidth = formats.keys.map(\.description.count).max() ?? 0
        for (format, summary) in formats.sorted(by: { $0.key < $1.key }) {
            let name = format.description.padding(toLength: formatWidth, withPad: " ", startingAt: 0)
            lines.append("    \(name)  " + Self.describe(summary, of: format))
        }
        lines.append("  skipped:     \(skippedNonPNGCount) other file\(skippedNonPNGCount == 1 ? "" : "s") (not PNG, JPEG, TIFF, NIfTI or DICOM)")
        lines.append("  ignored:     \(ignored.count)")
        lines += ignored.map { "    \($0.path): \($0.reason)" }
        lines.append("  unreadable:  \(problems.count)")
        lines += problems.map { "    \($0.path): \($0.reason)" }
        return lines.joined(separator: "\n")
    }

    /// One format's line: files and images, then what reading chose.
    private static func describe(_ summary: FormatSummary, of format: ImageFormat) -> String {
        func count(_ n: Int, _ noun: String) -> String { "\(n) \(noun)\(n == 1 ? "" : "s")" }
        switch format {
        case .png, .jpeg, .tiff:
            return "\(count(summary.files, "file")), \(count(summary.images, "image"))"
        case .dicom:
            let windows = summary.windows.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: ", ")
            return "\(count(summary.files, "file")), \(count(summary.images, "frame")); windows (files): \(windows)"
        case .nifti:
            let slices = summary.slices
            return "\(count(summary.files, "volume")), \(slices.kept) of \(count(slices.considered, "slice")) kept "
                + "(\(slices.considered - slices.kept) below the foreground threshold)"
        case .wholeSlide:
            let tiles = summary.tiles
            return "\(count(summary.files, "slide")), \(count(tiles.kept, "tile")) kept of \(tiles.onGrid) on the grid "
                + "(\(tiles.onGrid - tiles.tissue) background skipped, \(tiles.tissue - tiles.kept) over the per-slide cap)"
        }
    }

    /// `"key: count, key: count"` in key order, or `"none"`.
    private func histogram<Key: Comparable & CustomStringConvertible>(_ counts: [Key: Int]) -> String {
        guard !counts.isEmpty else { return "none" }
        return counts.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: ", ")
    }
}

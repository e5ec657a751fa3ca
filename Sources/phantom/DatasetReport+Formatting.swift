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
        lines.append("  skipped:     \(skippedNonPNGCount) other file\(skippedNonPNGCount == 1 ? "" : "s") (not PNG, JPEG, TIFF, NIfTI or DICOM)")
        lines.append("  ignored:     \(ignored.count)")
        lines += ignored.map { "    \($0.path): \($0.reason)" }
        lines.append("  unreadable:  \(problems.count)")
        lines += problems.map { "    \($0.path): \($0.reason)" }
        return lines.joined(separator: "\n")
    }

    /// `"key: count, key: count"` in key order, or `"none"`.
    private func histogram<Key: Comparable & CustomStringConvertible>(_ counts: [Key: Int]) -> String {
        guard !counts.isEmpty else { return "none" }
        return counts.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: ", ")
    }
}

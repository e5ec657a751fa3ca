import Foundation

/// The evaluation report as the terminal shows it: each metric beside its real reference
/// and the image counts behind it.
public enum EvaluationTable {
    public static func text(_ report: EvaluationReport) -> String {
        var lines: [String] = []
        let network = report.network
        let origin: String
        switch network.source {
        case "trained": origin = "trained on \(network.trainingImages ?? 0) images in \(format(network.seconds, 0)) s"
        case "cached": origin = "from the cache (\(network.path ?? ""))"
        default: origin = "read from \(network.path ?? "")"
        }
        lines.append("feature network: \(origin); accuracy on the real test images \(percent(network.accuracyOnReal)) (\(report.overall.counts.real) images)")
        let counts = report.overall.counts
        lines.append("images: \(counts.samples) synthetic, \(counts.real) real test, \(counts.reference.map(String.init) ?? "no") real reference (--train subset, same class counts)")
        lines.append("")
        lines.append(pad("metric", 20) + pad("synthetic", 12) + pad("real ref.", 12) + "what is better")
        let overall = report.overall
        let rows: [(String, MetricPair, String)] = [
            ("Fréchet distance", overall.frechetDistance, "lower; ≈ reference is as good as real"),
            ("precision", overall.precision, "higher: samples inside the real manifold"),
            ("recall", overall.recall, "higher: real images covered by samples"),
            ("density", overall.density, "≈ 1 for real-like samples"),
            ("coverage", overall.coverage, "higher"),
            ("class consistency", overall.classConsistency, "higher; ceiling: network accuracy"),
        ]
        for (name, pair, hint) in rows {
            lines.append(pad(name, 20) + pad(format(pair.synthetic), 12) + pad(format(pair.reference), 12) + hint)
        }
        lines.append("")
        lines.append(pad("class", 16) + pad("n syn/real", 12) + pad("consistency", 14) + pad("ref.", 7) + pad("real acc.", 11)
                     + pad("FD", 9) + pad("ref.", 9) + pad("precision", 11) + pad("ref.", 7) + pad("recall", 8) + pad("ref.", 7)
                     + "MS-SSIM syn / ref / real")
        for row in report.classes {
            lines.append(pad(row.name, 16) + pad("\(row.counts.samples)/\(row.counts.real)", 12)
                         + pad(format(row.classConsistency.synthetic), 14) + pad(format(row.classConsistency.reference), 7)
                         + pad(format(row.realAccuracy), 11)
                         + pad(format(row.frechetDistance.synthetic, 1), 9) + pad(format(row.frechetDistance.reference, 1), 9)
                         + pad(format(row.precision.synthetic), 11) + pad(format(row.precision.reference), 7)
                         + pad(format(row.recall.synthetic), 8) + pad(format(row.recall.reference), 7)
                         + "\(format(row.diversity.synthetic)) / \(format(row.diversity.reference)) / \(format(row.realDiversity))")
        }
        if let memorization = report.memorization {
            lines.append("")
            lines.append("memorization: \(memorization.flagged) of \(memorization.audited) samples flagged (ratio < \(format(memorization.threshold))); "
                         + "median ratio \(format(memorization.medianRatio)), median distance to the nearest training image "
                         + "\(format(memorization.medianNearestDistance, 1)) (training images to each other: \(format(memorization.medianTrainingNearestDistance, 1)))")
        }
        if let utility = report.utility {
            lines.append("")
            let limit = utility.limitRealPerClass.map { "\($0) real images per class" } ?? "all real images"
            lines.append("utility (train on each, test on real; \(limit), \(utility.steps) steps, \(utility.seeds) seeds):")
            for arm in utility.arms {
                lines.append("  " + pad(arm.name, 16) + pad("\(arm.images) images", 14)
                             + "accuracy \(format(arm.mean)) ± \(format(arm.standardDeviation))")
            }
        }
        if !report.warnings.isEmpty {
            lines.append("")
            lines += report.warnings.map { "warning: \($0)" }
        }
        lines.append("")
        lines.append("evaluated in \(format(report.seconds, 0)) s")
        return lines.joined(separator: "\n")
    }

    static func format(_ value: Double?, _ digits: Int = 3) -> String {
        guard let value, value.isFinite else { return "—" }
        return String(format: "%.\(digits)f", value)
    }

    static func percent(_ value: Double) -> String { String(format: "%.1f%%", 100 * value) }

    static func pad(_ text: String, _ width: Int) -> String {
        text.count >= width ? text + " " : text + String(repeating: " ", count: width - text.count)
    }
}

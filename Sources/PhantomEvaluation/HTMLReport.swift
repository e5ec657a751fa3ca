import Foundation
import PhantomImaging

/// One self-contained HTML page of an evaluation (images inline as PNG data URIs): the
/// metrics beside their real references, per class a grid of samples above real test
/// images, the samples closest to a training image beside it, and the loss curve of a
/// training run.
public enum HTMLReport {
    /// Images per class in the grids.
    static let gridImages = 8

    public static func page(_ report: EvaluationReport, runFolder: String?) throws(EvaluationError) -> String {
        let side = report.settings.side
        let reading = report.settings.readOptions
        let samples = try EvaluationInputs.load(report.settings.samples, side: side, role: "samples", reading: reading)
        let real = try EvaluationInputs.load(report.settings.real, side: side, role: "real", reading: reading)
        var body = "<h1>Phantom evaluation</h1>\n"
        body += "<p>\(escape(report.settings.samples)) against \(escape(report.settings.real))"
        if let manifest = report.settings.samplesManifest["model"] { body += " · model \(escape(manifest))" }
        if let scheduler = report.settings.samplesManifest["scheduler"] {
            body += " · \(escape(scheduler)) \(escape(report.settings.samplesManifest["steps"] ?? "")) steps"
        }
        body += "</p>\n<pre>\(escape(EvaluationTable.text(report)))</pre>\n"

        body += "<h2>Samples (top) and real test images (bottom), per class</h2>\n<div class=grid>\n"
        for name in report.classes.map(\.name) {
            var sampleTiles = tiles(samples, className: name)
            if !sampleTiles.isEmpty {
                // Blank tiles keep the real images on their own row.
                sampleTiles += Array(repeating: [Float](repeating: 1, count: side * side), count: gridImages - sampleTiles.count)
            }
            let realTiles = tiles(real, className: name)
            guard let image = grid(sampleTiles + realTiles, side: side, columns: gridImages) else { continue }
            body += "<figure><img src=\"\(image)\" alt=\"\(escape(name))\"><figcaption>\(escape(name))</figcaption></figure>\n"
        }
        body += "</div>\n"

        if let memorization = report.memorization, let trainPath = report.settings.train, !memorization.closestPairs.isEmpty {
            let train = try EvaluationInputs.load(trainPath, side: side, role: "training", reading: reading)
            body += "<h2>Samples closest to a training image (sample, then its nearest training image)</h2>\n<div class=grid>\n"
            for pair in memorization.closestPairs {
                let left = index(of: pair.sample, in: samples).map { samples.floats(index: $0) }
                let right = index(of: pair.training, in: train).map { train.floats(index: $0) }
                guard let left, let right, let image = grid([left, right], side: side, columns: 2) else { continue }
                body += "<figure><img src=\"\(image)\"><figcaption>ratio \(EvaluationTable.format(pair.ratio)), distance \(EvaluationTable.format(pair.distance, 1))</figcaption></figure>\n"
            }
            body += "</div>\n"
        }
        if let runFolder, let curve = lossCurve(runFolder) {
            body += "<h2>Training loss (\(escape(runFolder)))</h2>\n\(curve)\n"
        }
        return """
            <!doctype html>
            <html><head><meta charset="utf-8"><title>Phantom evaluation</title>
            <style>
            body { font-family: sans-serif; margin: 2em; max-width: 1200px; }
            pre { background: #f4f4f4; padding: 1em; overflow-x: auto; font-size: 12px; }
            .grid { display: flex; flex-wrap: wrap; gap: 1em; }
            figure { margin: 0; } img { image-rendering: pixelated; width: 100%; max-width: 560px; }
            figcaption { font-size: 13px; color: #333; }
            </style></head><body>
            \(body)
            </body></html>
            """
    }

    private static func tiles(_ dataset: ImageFolderDataset, className: String) -> [[Float]] {
        guard let label = dataset.classNames.firstIndex(of: className) else { return [] }
        let indices = (0..<dataset.count).filter { dataset.label(at: $0) == label }.prefix(gridImages)
        return indices.map { dataset.floats(index: $0) }
    }

    private static func index(of relativePath: String, in dataset: ImageFolderDataset) -> Int? {
        (0..<dataset.count).first { dataset.relativePath(at: $0) == relativePath }
    }

    /// A PNG data URI of the tiles (pixels in [-1, 1]) in rows of `columns`.
    private static func grid(_ tiles: [[Float]], side: Int, columns: Int) -> String? {
        guard !tiles.isEmpty else { return nil }
        let image = ImageGrid.tile(tiles, side: side, columns: columns)
        guard let bytes = try? PNGEncoder.encode(image) else { return nil }
        return "data:image/png;base64," + Data(bytes).base64EncodedString()
    }

    /// An inline SVG of the loss in `runFolder/metrics.jsonl` (raw and a 20-point moving mean).
    static func lossCurve(_ runFolder: String) -> String? {
        guard let text = try? String(contentsOfFile: runFolder + "/metrics.jsonl", encoding: .utf8) else { return nil }
        var points: [(Double, Double)] = []
        for line in text.split(separator: "\n") {
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                  let step = (object["step"] as? NSNumber)?.doubleValue,
                  let loss = (object["loss"] as? NSNumber)?.doubleValue, loss.isFinite else { continue }
            points.append((step, loss))
        }
        guard points.count >= 2 else { return nil }
        let width = 800.0, height = 300.0
        let maxStep = points.map(\.0).max()!, maxLoss = points.map(\.1).max()!
        func path(_ values: [(Double, Double)]) -> String {
            values.map { String(format: "%.1f,%.1f", $0.0 / maxStep * width, height - $0.1 / maxLoss * height) }.joined(separator: " ")
        }
        let smoothed = points.indices.map { i -> (Double, Double) in
            let window = points[max(0, i - 19)...i]
            return (points[i].0, window.map(\.1).reduce(0, +) / Double(window.count))
        }
        return """
            <svg width="\(Int(width))" height="\(Int(height) + 20)" viewBox="0 0 \(Int(width)) \(Int(height) + 20)">
            <polyline fill="none" stroke="#bbb" points="\(path(points))"/>
            <polyline fill="none" stroke="#c22" stroke-width="2" points="\(path(smoothed))"/>
            <text x="0" y="\(Int(height) + 15)" font-size="12">step 0 … \(Int(maxStep)); loss 0 … \(EvaluationTable.format(maxLoss, 4))</text>
            </svg>
            """
    }

    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}

import Foundation

/// Writes an evaluation report to files.
public enum EvaluationOutput {
    /// The report as pretty-printed JSON with sorted keys (non-finite numbers as null).
    public static func writeJSON(_ report: EvaluationReport, to path: String) throws(EvaluationError) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        do {
            try encoder.encode(report).write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw EvaluationError(path: path, reason: "cannot write the report (\(error.localizedDescription))")
        }
    }

    /// The self-contained HTML page of ``HTMLReport``.
    public static func writeHTML(_ report: EvaluationReport, runFolder: String?, to path: String) throws(EvaluationError) {
        let page = try HTMLReport.page(report, runFolder: runFolder)
        do {
            try Data(page.utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw EvaluationError(path: path, reason: "cannot write the report (\(error.localizedDescription))")
        }
    }
}

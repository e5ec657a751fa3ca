import Foundation
import Synchronization

/// Console output shared by the subcommands: errors on stderr, and progress that
/// redraws one line on a terminal and prints plain lines otherwise.
enum Terminal {
    /// Whether standard error is a terminal (progress bars go there).
    static let isInteractive = isatty(STDERR_FILENO) != 0

    private static let quiet = Atomic<Bool>(false)

    /// Silences ``say(_:)``, ``note(_:)`` and ``progress(_:)`` — not errors — for the rest of
    /// the process: the non-lead processes of a data-parallel job, whose lead reports for all.
    static func silence() {
        quiet.store(true, ordering: .relaxed)
    }

    /// Prints a line of the command's report on standard output.
    static func say(_ line: String) {
        if !quiet.load(ordering: .relaxed) { print(line) }
    }

    /// Prints `error: <message>` on standard error.
    static func error(_ message: String) {
        FileHandle.standardError.write(Data("error: \(message)\n".utf8))
    }

    /// Prints `note: <message>` on standard error.
    static func note(_ message: String) {
        guard !quiet.load(ordering: .relaxed) else { return }
        FileHandle.standardError.write(Data("note: \(message)\n".utf8))
    }

    /// Redraws the progress line on a terminal; does nothing when standard error is a file
    /// or a pipe, so logs hold no escape sequences.
    static func progress(_ line: String) {
        guard isInteractive, !quiet.load(ordering: .relaxed) else { return }
        FileHandle.standardError.write(Data("\r\u{1B}[2K\(line)".utf8))
    }

    /// Ends a progress line.
    static func endProgress() {
        if isInteractive && !quiet.load(ordering: .relaxed) { FileHandle.standardError.write(Data("\n".utf8)) }
    }

    /// A bar of `width` cells, `fraction` of them filled.
    static func bar(_ fraction: Double, width: Int = 24) -> String {
        let filled = max(0, min(width, Int((fraction * Double(width)).rounded(.down))))
        return "[" + String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled) + "]"
    }

    /// `1h02m`, `3m20s`, `45s`.
    static func duration(_ seconds: Double) -> String {
        guard seconds.isFinite, seconds >= 0 else { return "--" }
        let total = Int(seconds.rounded())
        if total >= 3600 { return String(format: "%dh%02dm", total / 3600, total % 3600 / 60) }
        if total >= 60 { return String(format: "%dm%02ds", total / 60, total % 60) }
        return "\(total)s"
    }

    /// Parses `90`, `90s`, `30m`, `2h`, `1h30m` into seconds.
    static func parseDuration(_ text: String) -> Double? {
        var total = 0.0, number = ""
        for character in text {
            if character.isNumber || character == "." {
                number.append(character)
                continue
            }
            guard let value = Double(number) else { return nil }
            switch character {
            case "h": total += value * 3600
            case "m": total += value * 60
            case "s": total += value
            default: return nil
            }
            number = ""
        }
        if !number.isEmpty {
            guard let value = Double(number) else { return nil }
            total += value
        }
        return total > 0 ? total : nil
    }
}

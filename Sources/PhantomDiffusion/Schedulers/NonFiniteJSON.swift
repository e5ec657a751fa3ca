import Foundation

/// Python's `json` module (and so diffusers' `save_config`) writes infinities and NaN as
/// the bare words `-Infinity`, `Infinity` and `NaN`, which are not JSON and which
/// `JSONSerialization` rejects. This quotes those words outside strings so the text
/// parses, with the values as the strings `"-Infinity"`, `"Infinity"`, `"NaN"`.
enum NonFiniteJSON {
    private static let words: [[UInt8]] = ["-Infinity", "Infinity", "NaN"].map { Array($0.utf8) }
    private static let quote = UInt8(ascii: "\""), backslash = UInt8(ascii: "\\")

    /// `data` with every bare non-finite word quoted. O(n).
    static func quotingBareWords(_ data: Data) -> Data {
        let bytes = [UInt8](data)
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count + 8)
        var index = 0, inString = false
        while index < bytes.count {
            let byte = bytes[index]
            if inString {
                if byte == backslash, index + 1 < bytes.count {
                    output.append(contentsOf: bytes[index...index + 1])
                    index += 2
                    continue
                }
                inString = byte != quote
            } else if byte == quote {
                inString = true
            } else if let word = words.first(where: { bytes[index...].starts(with: $0) }) {
                output.append(quote)
                output.append(contentsOf: word)
                output.append(quote)
                index += word.count
                continue
            }
            output.append(byte)
            index += 1
        }
        return Data(output)
    }
}

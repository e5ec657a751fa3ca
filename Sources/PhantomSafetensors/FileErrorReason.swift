import Foundation

/// The most specific text of a file-system error: the POSIX reason ("Not a
/// directory", "No space left on device") when Foundation wraps one, rather than
/// its generic "The operation could not be completed". When Foundation gives no
/// reason and `path` is known, the path is examined: a file standing where a folder
/// should be, or a folder that cannot be written, is named.
public func fileErrorReason(_ error: Error, path: URL? = nil) -> String {
    let nsError = error as NSError
    if let underlying = nsError.userInfo[NSUnderlyingErrorKey] as? NSError {
        if underlying.domain == NSPOSIXErrorDomain, let message = strerror(Int32(underlying.code)) {
            return String(cString: message)
        }
        return underlying.localizedDescription
    }
    if nsError.domain == NSPOSIXErrorDomain, let message = strerror(Int32(nsError.code)) {
        return String(cString: message)
    }
    if let path, let diagnosis = diagnose(path) { return diagnosis }
    return nsError.localizedDescription
}

/// What stops `path` being written: a file among its ancestors, or an unwritable folder.
private func diagnose(_ path: URL) -> String? {
    let fileManager = FileManager.default
    var ancestor = path.deletingLastPathComponent()
    while ancestor.path != "/" {
        var isDirectory: ObjCBool = false
        if fileManager.fileExists(atPath: ancestor.path, isDirectory: &isDirectory) {
            if !isDirectory.boolValue { return "\(ancestor.path) is a file, not a folder" }
            if !fileManager.isWritableFile(atPath: ancestor.path) { return "\(ancestor.path) is not writable" }
            return nil
        }
        ancestor = ancestor.deletingLastPathComponent()
    }
    return nil
}

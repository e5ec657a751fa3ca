#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Whole-file reads and writes through POSIX calls, so failures carry the system's
/// reason ("No such file or directory", "Permission denied", …).
enum FileBytes {
    /// Reads every byte of the regular file at `path`.
    static func readAll(path: String) throws(ImagingError) -> [UInt8] {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw systemError(.unreadable, path: path) }
        defer { close(descriptor) }

        var status = stat()
        guard fstat(descriptor, &status) == 0 else { throw systemError(.unreadable, path: path) }
        guard (status.st_mode & S_IFMT) == S_IFREG else {
            let what = (status.st_mode & S_IFMT) == S_IFDIR ? "is a directory" : "not a regular file"
            throw ImagingError(.unreadable, path: path, reason: what)
        }

        var bytes = [UInt8](repeating: 0, count: Int(status.st_size))
        var filled = 0
        while filled < bytes.count {
            let count = bytes.withUnsafeMutableBytes { buffer in
                read(descriptor, buffer.baseAddress! + filled, buffer.count - filled)
            }
            if count < 0 && errno == EINTR { continue }
            guard count >= 0 else { throw systemError(.unreadable, path: path) }
            if count == 0 { break }  // The file shrank while we read it.
            filled += count
        }
        bytes.removeLast(bytes.count - filled)
        return bytes
    }

    /// Creates or replaces the file at `path` with `bytes`.
    static func writeAll(_ bytes: [UInt8], to path: String) throws(ImagingError) {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw systemError(.writeFailed, path: path) }
        var written = 0
        while written < bytes.count {
            let count = bytes.withUnsafeBytes { buffer in
                write(descriptor, buffer.baseAddress! + written, buffer.count - written)
            }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else {
                let error = systemError(.writeFailed, path: path)
                close(descriptor)
                throw error
            }
            written += count
        }
        guard close(descriptor) == 0 else { throw systemError(.writeFailed, path: path) }
    }

    /// An error whose reason is the text of the current `errno`.
    private static func systemError(_ kind: ImagingError.Kind, path: String) -> ImagingError {
        ImagingError(kind, path: path, reason: String(cString: strerror(errno)))
    }
}

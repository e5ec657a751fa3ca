import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Whole-file reads through POSIX calls, so failures carry the system's reason.
enum FileReader {
    /// Every byte of the regular file at `path`.
    static func readAll(path: String) throws(SafetensorsError) -> Data {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw systemError(path: path) }
        defer { close(descriptor) }

        var status = stat()
        guard fstat(descriptor, &status) == 0 else { throw systemError(path: path) }
        guard (status.st_mode & S_IFMT) == S_IFREG else {
            let what = (status.st_mode & S_IFMT) == S_IFDIR ? "is a directory" : "is not a regular file"
            throw SafetensorsError(.unreadable, path: path, reason: what)
        }

        var data = Data(count: Int(status.st_size))
        var filled = 0
        var failure: Int32 = 0
        data.withUnsafeMutableBytes { buffer in
            while filled < buffer.count {
                let count = read(descriptor, buffer.baseAddress! + filled, buffer.count - filled)
                if count < 0 && errno == EINTR { continue }
                if count < 0 { failure = errno; return }
                if count == 0 { return }  // The file shrank while it was read.
                filled += count
            }
        }
        guard failure == 0 else {
            throw SafetensorsError(.unreadable, path: path, reason: String(cString: strerror(failure)))
        }
        data.count = filled
        return data
    }

    private static func systemError(path: String) -> SafetensorsError {
        SafetensorsError(.unreadable, path: path, reason: String(cString: strerror(errno)))
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes a file so that its destination never holds a partial file: the bytes go
/// to a new temporary file in the same directory, which is flushed to disk and then
/// renamed over the destination (an atomic replacement on POSIX file systems).
enum AtomicFile {
    /// Receives the file's bytes in order.
    typealias Sink = (UnsafeRawBufferPointer) throws(SafetensorsError) -> Void

    /// Creates or replaces the file at `path` with the bytes `produce` hands to its sink.
    /// On any failure the temporary file is removed and the destination is untouched.
    static func create(path: String, _ produce: (Sink) throws(SafetensorsError) -> Void) throws(SafetensorsError) {
        let directory = directoryName(path)
        let base = path.split(separator: "/").last.map(String.init) ?? path
        let temporary = "\(directory)/.\(base).\(getpid()).\(UInt32.random(in: 0...UInt32.max)).tmp"
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw systemError(path: path, doing: "cannot create a temporary file") }
        var isOpen = true
        do throws(SafetensorsError) {
            try produce { (bytes) throws(SafetensorsError) in
                var written = 0
                while written < bytes.count {
                    let count = write(descriptor, bytes.baseAddress! + written, bytes.count - written)
                    if count < 0 && errno == EINTR { continue }
                    guard count > 0 else { throw systemError(path: path, doing: "write failed") }
                    written += count
                }
            }
            guard fsync(descriptor) == 0 else { throw systemError(path: path, doing: "fsync failed") }
            isOpen = false
            guard close(descriptor) == 0 else { throw systemError(path: path, doing: "close failed") }
            guard rename(temporary, path) == 0 else { throw systemError(path: path, doing: "cannot replace the file") }
        } catch {
            if isOpen { close(descriptor) }
            unlink(temporary)
            throw error
        }
        syncDirectory(directory)
    }

    /// The directory part of `path` ("." for a bare file name).
    private static func directoryName(_ path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

    /// Flushes the directory entry of the rename; best effort (some file systems refuse).
    private static func syncDirectory(_ directory: String) {
        let descriptor = open(directory, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return }
        fsync(descriptor)
        close(descriptor)
    }

    private static func systemError(path: String, doing what: String) -> SafetensorsError {
        SafetensorsError(.writeFailed, path: path, reason: "\(what): \(String(cString: strerror(errno)))")
    }
}

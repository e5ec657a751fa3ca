import Foundation

/// An exclusive lock on a run folder (`RUN/.lock`, flock), so two trainers never
/// write the same run. Held until the process exits.
enum RunLock {
    /// Takes the lock or fails naming the folder.
    static func acquire(_ folder: URL) throws {
        let path = folder.appendingPathComponent(".lock").path
        let descriptor = open(path, O_CREAT | O_RDWR | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            throw CommandError("\(path): cannot create the run lock (\(String(cString: strerror(errno))))")
        }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            close(descriptor)
            throw CommandError("\(folder.path) is being trained by another process (its lock \(path) is held)")
        }
    }
}

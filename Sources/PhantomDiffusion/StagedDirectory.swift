import Foundation

/// The one way Phantom writes a folder that must never be seen half-written (checkpoints,
/// model folders): build it under a hidden staging name beside its destination, then put
/// it in place by renames, so a reader sees the old folder or the new one, and a kill at any
/// moment leaves at worst hidden leftovers that the next write removes.
///
/// Names beside `destination` (`<name>` its last component):
/// - `.<name>.incomplete-XXXXXXXX`: a folder being written;
/// - `.<name>.old-XXXXXXXX`: the replaced folder, moved aside before the new one moves in and
///   deleted after — the old folder is never deleted before the new one is in place;
/// - `.<name>.deleting-XXXXXXXX`: a folder renamed away to be deleted (``discard(_:)``).
enum StagedDirectory {
    /// A fresh staging folder name for `destination` (not created).
    static func staging(for destination: URL) -> URL {
        hidden(destination, "incomplete")
    }

    /// Puts the finished folder `staging` at `destination`: one rename when nothing is there;
    /// otherwise the old folder is moved aside, the new one moved in, then the old one deleted.
    static func commit(_ staging: URL, to destination: URL) throws {
        let fileManager = FileManager.default
        guard fileManager.fileExists(atPath: destination.path) else {
            try fileManager.moveItem(at: staging, to: destination)
            return
        }
        let retired = hidden(destination, "old")
        try fileManager.moveItem(at: destination, to: retired)
        try fileManager.moveItem(at: staging, to: destination)
        try? fileManager.removeItem(at: retired)
    }

    /// Deletes `folder` by renaming it to a hidden name first, so a kill never leaves a
    /// half-deleted folder under its visible name.
    static func discard(_ folder: URL) {
        let doomed = hidden(folder, "deleting")
        guard (try? FileManager.default.moveItem(at: folder, to: doomed)) != nil else { return }
        try? FileManager.default.removeItem(at: doomed)
    }

    /// Removes the leftovers of killed writes in `parent` whose names start with
    /// `.<namePrefix>` (e.g. `step-` for every checkpoint, `model.` for one model folder).
    static func removeLeftovers(in parent: URL, namePrefix: String) {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: parent.path)) ?? []
        for name in names where name.hasPrefix("." + namePrefix)
            && ["incomplete-", "old-", "deleting-"].contains(where: { name.contains("." + $0) }) {
            try? FileManager.default.removeItem(at: parent.appendingPathComponent(name))
        }
    }

    private static func hidden(_ destination: URL, _ role: String) -> URL {
        destination.deletingLastPathComponent()
            .appendingPathComponent(".\(destination.lastPathComponent).\(role)-\(UUID().uuidString.prefix(8))")
    }
}

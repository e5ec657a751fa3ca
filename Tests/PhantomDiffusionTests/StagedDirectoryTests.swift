import Foundation
@testable import PhantomDiffusion
import Testing

@Suite struct StagedDirectoryTests {
    private func folder(_ name: String) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("staged-\(UUID().uuidString)")
            .appendingPathComponent(name)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        return url
    }

    private func write(_ text: String, into folder: URL) throws {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try Data(text.utf8).write(to: folder.appendingPathComponent("file"))
    }

    private func read(_ folder: URL) -> String? {
        (try? Data(contentsOf: folder.appendingPathComponent("file"))).map { String(decoding: $0, as: UTF8.self) }
    }

    /// A commit over an existing folder replaces it whole and leaves nothing hidden behind;
    /// the leftovers of a write killed between its renames (a retired old folder, a staging
    /// folder) are swept by the next write, and the visible folder is never the half-made one.
    @Test func commitReplacesWholeAndLeftoversAreSwept() throws {
        let destination = try folder("model")
        let parent = destination.deletingLastPathComponent()
        defer { try? FileManager.default.removeItem(at: parent) }
        try write("old", into: destination)
        let staging = StagedDirectory.staging(for: destination)
        #expect(staging.lastPathComponent.hasPrefix(".model.incomplete-"))
        try write("new", into: staging)
        try StagedDirectory.commit(staging, to: destination)
        #expect(read(destination) == "new")
        #expect(try FileManager.default.contentsOfDirectory(atPath: parent.path) == ["model"])

        // A kill after the old folder was moved aside: it is still whole under .old-.
        try write("killed-old", into: parent.appendingPathComponent(".model.old-1234abcd"))
        try write("killed-new", into: parent.appendingPathComponent(".model.incomplete-1234abcd"))
        try write("another", into: parent.appendingPathComponent(".modelx.old-1234abcd"))
        StagedDirectory.removeLeftovers(in: parent, namePrefix: "model.")
        #expect(try FileManager.default.contentsOfDirectory(atPath: parent.path).sorted() == [".modelx.old-1234abcd", "model"])

        StagedDirectory.discard(destination)
        #expect(!FileManager.default.fileExists(atPath: destination.path))
    }
}

import Foundation

/// The reference files made with PyTorch and diffusers by `Tests/Fixtures/make_fixtures.py`.
public enum Fixtures {
    /// `Tests/Fixtures` in the source tree.
    public static let directory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fixtures")

    /// A file or folder under `Tests/Fixtures`.
    public static func url(_ relativePath: String) -> URL {
        directory.appendingPathComponent(relativePath)
    }
}

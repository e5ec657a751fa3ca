/// Share `index` of `count` of a sampling run, 0 ≤ `index` < `count` (`--shard i/n`).
///
/// Shard i keeps the items at positions i, i + n, i + 2n, … of the unsharded run's list
/// (``SamplePlan/shard(_:of:)``), so the n shards together write exactly the unsharded
/// run's files, each once; shard i's manifest is `manifest-shard-i-of-n.json`.
public struct SampleShard: Equatable, Sendable, CustomStringConvertible {
    /// The whole run: `0/1`.
    public static let whole = SampleShard(index: 0, count: 1)

    public let index: Int
    public let count: Int

    /// A shard; `index` must be in `0..<count`.
    public init(index: Int, count: Int) {
        precondition(count > 0 && (0..<count).contains(index), "shard \(index)/\(count)")
        self.index = index
        self.count = count
    }

    /// Reads `i/n` (decimal integers, 0 ≤ i < n); nil for anything else.
    public init?(_ text: String) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let index = Int(parts[0]), let count = Int(parts[1]),
              count > 0, (0..<count).contains(index) else { return nil }
        self.init(index: index, count: count)
    }

    /// `i/n`, as the command line spells it.
    public var description: String { "\(index)/\(count)" }

    /// The file-name form, `i-of-n`.
    public var fileNameComponent: String { "\(index)-of-\(count)" }
}

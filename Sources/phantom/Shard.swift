import ArgumentParser

/// `--shard i/n`: share `index` of `count` of a sampling run, 0 ≤ `index` < `count`.
///
/// Shard i keeps the items at positions i, i + n, i + 2n, … of the unsharded run's list,
/// so the n shards together write exactly the unsharded run's files, each once.
struct Shard: ExpressibleByArgument, Equatable, CustomStringConvertible {
    /// The whole run: `0/1`.
    static let whole = Shard(index: 0, count: 1)

    let index: Int
    let count: Int

    /// A shard; `index` must be in `0..<count`.
    init(index: Int, count: Int) {
        precondition(count > 0 && (0..<count).contains(index), "shard \(index)/\(count)")
        self.index = index
        self.count = count
    }

    /// Reads `i/n` (decimal integers, 0 ≤ i < n); nil for anything else.
    init?(argument: String) {
        let parts = argument.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let index = Int(parts[0]), let count = Int(parts[1]),
              count > 0, (0..<count).contains(index) else { return nil }
        self.init(index: index, count: count)
    }

    /// `i/n`, as the command line spells it.
    var description: String { "\(index)/\(count)" }

    /// The file-name form, `i-of-n`.
    var fileNameComponent: String { "\(index)-of-\(count)" }
}

/// Which images a `phantom sample` invocation writes: one entry per file of the
/// unsharded run, in order (class by class, numbers counting up), then the shard's share.
struct SamplePlan {
    struct Item {
        /// The class folder name ("" for an unconditional model).
        let className: String
        /// The class-embedding index, nil for an unconditional model.
        let label: Int?
        /// The image's number within its class.
        let number: Int
        /// The index that keys its noise: `label · 2^20 + number`.
        var noiseIndex: Int { (label ?? 0) << 20 + number }
        var fileName: String {
            let numbered = String(format: "%06d.png", number)
            return className.isEmpty ? numbered : "\(className)/\(className)-\(numbered)"
        }
    }

    let items: [Item]

    /// `perClass[c]` images of each class in `classes` (label = its index in `allClasses`),
    /// keeping every `shardCount`-th item starting at `shardIndex`.
    init(classes: [String], allClasses: [String], conditional: Bool, perClass: [Int], shardIndex: Int, shardCount: Int) {
        var all: [Item] = []
        for (position, name) in classes.enumerated() {
            let label = conditional ? allClasses.firstIndex(of: name) : nil
            all += (0..<perClass[position]).map { Item(className: name, label: label, number: $0) }
        }
        items = all.enumerated().filter { $0.offset % shardCount == shardIndex }.map(\.element)
    }
}

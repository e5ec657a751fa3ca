import Foundation

/// Which images a sampling run writes, and the noise each one draws: one entry per file
/// of the whole run, in order (class by class, numbers counting up), of which a shard or a
/// process keeps its share.
///
/// The contract that makes a split run equal to a whole one: an item's file name and noise
/// index depend only on its class and number, never on which shard or process draws it,
/// and ``Sampler`` draws each image from its noise index alone. So the shards of a run (and
/// the processes of an MPI job) together write exactly the whole run's files, byte for byte.
public struct SamplePlan: Sendable {
    public struct Item: Sendable, Equatable {
        /// The class folder name ("" for an unconditional model).
        public let className: String
        /// The class-embedding index, nil for an unconditional model.
        public let label: Int?
        /// The image's number within its class.
        public let number: Int

        /// The index that keys its noise: `label · 2^20 + number`.
        public var noiseIndex: Int { (label ?? 0) << 20 + number }

        /// Its path in the output folder: `<class>/<class>-NNNNNN.png`, or `NNNNNN.png`.
        public var fileName: String { fileName(extension: "png") }

        /// Its path in the output folder with another extension (`dcm`).
        public func fileName(extension fileExtension: String) -> String {
            let numbered = String(format: "%06d.", number) + fileExtension
            return className.isEmpty ? numbered : "\(className)/\(className)-\(numbered)"
        }
    }

    /// The items this plan draws, in the whole run's order.
    public let items: [Item]
    /// The classes of the whole run, in its order (a shard may hold no item of some).
    public let classes: [String]

    /// `perClass[c]` images of each class in `classes`, whose label is its index in
    /// `allClasses` (nil when `conditional` is false).
    public init(classes: [String], allClasses: [String], conditional: Bool, perClass: [Int]) {
        var all: [Item] = []
        for (position, name) in classes.enumerated() {
            let label = conditional ? allClasses.firstIndex(of: name) : nil
            all += (0..<perClass[position]).map { Item(className: name, label: label, number: $0) }
        }
        items = all
        self.classes = classes
    }

    private init(items: [Item], classes: [String]) {
        self.items = items
        self.classes = classes
    }

    /// Share `index` of `count` (0 ≤ index < count): the items at positions index,
    /// index + count, index + 2·count, … — interleaved, so every share gets a similar mix
    /// of classes. The `count` shares partition the plan.
    public func shard(_ index: Int, of count: Int) -> SamplePlan {
        precondition(count > 0 && (0..<count).contains(index), "shard \(index) of \(count)")
        return SamplePlan(items: items.enumerated().filter { $0.offset % count == index }.map(\.element), classes: classes)
    }
}

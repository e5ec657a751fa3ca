extension UNetConfig {
    /// The named configurations of Benchmarks/README.md: 1 channel in and out, attention
    /// head dim 8, eps 1e-5, mid-block attention.
    public enum Preset: String, Sendable, CaseIterable {
        /// Side 32, channels [32, 64, 64], one layer per block, attention in the third
        /// level, 8 groups per norm (1.1 M parameters).
        case tiny
        /// Side 64, channels [64, 128, 128, 256], two layers per block, attention in the
        /// third level.
        case small
        /// Side 32, channels [128, 256, 256, 256], two layers per block, attention in the
        /// second level.
        case cifar
    }

    /// The configuration of `preset` at `resolution` (default: the preset's own side),
    /// class-conditional with `classes` class embeddings when given.
    public init(preset: Preset, resolution: Int? = nil, classes: Int? = nil) {
        switch preset {
        case .tiny:
            self.init(sampleSize: 32, inChannels: 1, outChannels: 1,
                      downBlockTypes: [.plain, .plain, .attention], upBlockTypes: [.attention, .plain, .plain],
                      blockOutChannels: [32, 64, 64], layersPerBlock: 1)
            normNumGroups = 8
        case .small:
            self.init(sampleSize: 64, inChannels: 1, outChannels: 1,
                      downBlockTypes: [.plain, .plain, .attention, .plain],
                      upBlockTypes: [.plain, .attention, .plain, .plain],
                      blockOutChannels: [64, 128, 128, 256], layersPerBlock: 2)
        case .cifar:
            self.init(sampleSize: 32, inChannels: 1, outChannels: 1,
                      downBlockTypes: [.plain, .attention, .plain, .plain],
                      upBlockTypes: [.plain, .plain, .attention, .plain],
                      blockOutChannels: [128, 256, 256, 256], layersPerBlock: 2)
        }
        if let resolution { sampleSize = resolution }
        numClassEmbeds = classes
    }

    /// The configuration of the preset called `name` (see ``init(preset:resolution:classes:)``),
    /// or nil when there is no preset of that name.
    public static func preset(_ name: String, resolution: Int? = nil, classes: Int? = nil) -> UNetConfig? {
        Preset(rawValue: name).map { UNetConfig(preset: $0, resolution: resolution, classes: classes) }
    }

    /// The names ``preset(_:resolution:classes:)`` knows.
    public static let presetNames = Preset.allCases.map(\.rawValue)
}

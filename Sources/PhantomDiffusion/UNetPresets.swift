extension UNetConfig {
    /// The named configurations of Benchmarks/README.md (1 channel in and out,
    /// attention head dim 8, eps 1e-5, mid-block attention), at `resolution`
    /// (default: the preset's own) and optionally class-conditional.
    public static func preset(_ name: String, resolution: Int? = nil, classes: Int? = nil) -> UNetConfig? {
        var config: UNetConfig
        switch name {
        case "tiny":
            config = UNetConfig(sampleSize: 32, inChannels: 1, outChannels: 1,
                                downBlockTypes: [.plain, .plain, .attention], upBlockTypes: [.attention, .plain, .plain],
                                blockOutChannels: [32, 64, 64], layersPerBlock: 1)
            config.normNumGroups = 8
        case "small":
            config = UNetConfig(sampleSize: 64, inChannels: 1, outChannels: 1,
                                downBlockTypes: [.plain, .plain, .attention, .plain],
                                upBlockTypes: [.plain, .attention, .plain, .plain],
                                blockOutChannels: [64, 128, 128, 256], layersPerBlock: 2)
        case "cifar":
            config = UNetConfig(sampleSize: 32, inChannels: 1, outChannels: 1,
                                downBlockTypes: [.plain, .attention, .plain, .plain],
                                upBlockTypes: [.plain, .plain, .attention, .plain],
                                blockOutChannels: [128, 256, 256, 256], layersPerBlock: 2)
        default:
            return nil
        }
        if let resolution { config.sampleSize = resolution }
        config.numClassEmbeds = classes
        return config
    }

    /// The names ``preset(_:resolution:classes:)`` knows.
    public static let presetNames = ["tiny", "small", "cifar"]
}

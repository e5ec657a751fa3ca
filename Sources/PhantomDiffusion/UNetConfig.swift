import Foundation
import PhantomSafetensors

/// The configuration of a diffusers `UNet2DModel` (its `config.json`), restricted
/// to what Phantom implements. Reading a file with any other value of a supported
/// key fails naming the key and the value; keys that do not change the math are
/// listed in ``ignoredKeys``.
public struct UNetConfig: Equatable, Sendable {
    /// A down block: plain resnets, or resnets each followed by self-attention.
    public enum DownBlock: String, Sendable { case plain = "DownBlock2D", attention = "AttnDownBlock2D" }
    /// An up block: plain resnets, or resnets each followed by self-attention.
    public enum UpBlock: String, Sendable { case plain = "UpBlock2D", attention = "AttnUpBlock2D" }

    public var sampleSize: Int
    public var inChannels: Int
    public var outChannels: Int
    public var centerInputSample: Bool = false
    public var flipSinToCos: Bool = true
    public var freqShift: Int = 0
    public var timeEmbeddingDim: Int?
    public var downBlockTypes: [DownBlock]
    public var upBlockTypes: [UpBlock]
    /// Whether there is a `UNetMidBlock2D` (`mid_block_type` not null).
    public var hasMidBlock: Bool = true
    public var blockOutChannels: [Int]
    public var layersPerBlock: Int
    public var midBlockScaleFactor: Double = 1
    public var downsamplePadding: Int = 1
    public var dropout: Double = 0
    /// Channels per attention head; nil means one head over all channels.
    public var attentionHeadDim: Int? = 8
    public var normNumGroups: Int = 32
    public var attnNormNumGroups: Int?
    public var normEps: Double = 1e-5
    public var addAttention: Bool = true
    public var numClassEmbeds: Int?

    /// Keys found in the file that Phantom ignores because they do not change the computation.
    public var ignoredKeys: [String] = []

    public init(sampleSize: Int, inChannels: Int, outChannels: Int, downBlockTypes: [DownBlock],
                upBlockTypes: [UpBlock], blockOutChannels: [Int], layersPerBlock: Int) {
        self.sampleSize = sampleSize
        self.inChannels = inChannels
        self.outChannels = outChannels
        self.downBlockTypes = downBlockTypes
        self.upBlockTypes = upBlockTypes
        self.blockOutChannels = blockOutChannels
        self.layersPerBlock = layersPerBlock
    }

    /// Width of the time embedding: `time_embedding_dim`, else 4 × the first block's channels.
    public var timeEmbeddingWidth: Int { timeEmbeddingDim ?? blockOutChannels[0] * 4 }

    /// The factor by which the deepest level is smaller than the input.
    public var downsamplingFactor: Int { 1 << max(0, blockOutChannels.count - 1) }

    public static func == (lhs: UNetConfig, rhs: UNetConfig) -> Bool {
        lhs.jsonObject(diffusersVersion: "") as NSDictionary == rhs.jsonObject(diffusersVersion: "") as NSDictionary
    }
}

extension UNetConfig {
    static let knownKeys: Set<String> = [
        "sample_size", "in_channels", "out_channels", "center_input_sample", "time_embedding_type",
        "time_embedding_dim", "freq_shift", "flip_sin_to_cos", "down_block_types", "mid_block_type",
        "up_block_types", "block_out_channels", "layers_per_block", "mid_block_scale_factor",
        "downsample_padding", "downsample_type", "upsample_type", "dropout", "act_fn", "attention_head_dim",
        "norm_num_groups", "attn_norm_num_groups", "norm_eps", "resnet_time_scale_shift", "add_attention",
        "class_embed_type", "num_class_embeds", "num_train_timesteps",
    ]
    /// Keys of the file format itself, never reported.
    static let bookkeepingKeys: Set<String> = ["_class_name", "_diffusers_version", "_name_or_path"]

    /// Reads and validates a diffusers `config.json`.
    public init(contentsOf url: URL) throws(ModelError) {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw ModelError(path: url.path, reason: "cannot read (\(fileErrorReason(error)))")
        }
        try self.init(json: data, source: url.path)
    }

    /// Parses and validates the JSON text of a diffusers `config.json`.
    public init(json data: Data, source: String) throws(ModelError) {
        let object = try JSONObject(data: data, source: source)
        if let name = object.values["_class_name"] as? String, name != "UNet2DModel" {
            throw object.fail("_class_name", "Phantom reads UNet2DModel configurations")
        }
        _ = try object.require("time_embedding_type", in: ["positional"], default: "positional")
        _ = try object.require("act_fn", in: ["silu"], default: "silu")
        _ = try object.require("resnet_time_scale_shift", in: ["default"], default: "default")
        _ = try object.require("downsample_type", in: ["conv"], default: "conv")
        _ = try object.require("upsample_type", in: ["conv"], default: "conv")
        if !object.isNull("class_embed_type") {
            throw object.fail("class_embed_type", "Phantom supports only null (an nn.Embedding via num_class_embeds)")
        }
        if let mid = try object.optionalString("mid_block_type"), mid != "UNetMidBlock2D" {
            throw object.fail("mid_block_type", "Phantom supports \"UNetMidBlock2D\" or null")
        }

        let sampleSize: Int
        if object.values["sample_size"] is [Any] {
            let pair = try object.ints("sample_size")
            guard pair.count == 2, pair[0] == pair[1] else {
                throw object.fail("sample_size", "Phantom supports square samples")
            }
            sampleSize = pair[0]
        } else {
            sampleSize = try object.int("sample_size")
        }
        var downTypes: [DownBlock] = []
        for name in try object.strings("down_block_types", default: [
            "DownBlock2D", "AttnDownBlock2D", "AttnDownBlock2D", "AttnDownBlock2D"]) {
            guard let kind = DownBlock(rawValue: name) else {
                throw object.fail("down_block_types", "\"\(name)\" is not supported (DownBlock2D, AttnDownBlock2D)")
            }
            downTypes.append(kind)
        }
        var upTypes: [UpBlock] = []
        for name in try object.strings("up_block_types", default: [
            "AttnUpBlock2D", "AttnUpBlock2D", "AttnUpBlock2D", "UpBlock2D"]) {
            guard let kind = UpBlock(rawValue: name) else {
                throw object.fail("up_block_types", "\"\(name)\" is not supported (UpBlock2D, AttnUpBlock2D)")
            }
            upTypes.append(kind)
        }
        self.init(sampleSize: sampleSize,
                  inChannels: try object.int("in_channels", default: 3),
                  outChannels: try object.int("out_channels", default: 3),
                  downBlockTypes: downTypes, upBlockTypes: upTypes,
                  blockOutChannels: try object.ints("block_out_channels", default: [224, 448, 672, 896]),
                  layersPerBlock: try object.int("layers_per_block", default: 2))
        centerInputSample = try object.bool("center_input_sample", default: false)
        flipSinToCos = try object.bool("flip_sin_to_cos", default: true)
        freqShift = try object.int("freq_shift", default: 0)
        timeEmbeddingDim = try object.optionalInt("time_embedding_dim")
        hasMidBlock = !object.isNull("mid_block_type") || object.values["mid_block_type"] == nil
        midBlockScaleFactor = try object.double("mid_block_scale_factor", default: 1)
        downsamplePadding = try object.int("downsample_padding", default: 1)
        dropout = try object.double("dropout", default: 0)
        attentionHeadDim = object.values.keys.contains("attention_head_dim")
            ? try object.optionalInt("attention_head_dim") : 8
        normNumGroups = try object.int("norm_num_groups", default: 32)
        attnNormNumGroups = try object.optionalInt("attn_norm_num_groups")
        normEps = try object.double("norm_eps", default: 1e-5)
        addAttention = try object.bool("add_attention", default: true)
        numClassEmbeds = try object.optionalInt("num_class_embeds")
        ignoredKeys = object.values.keys
            .filter { !Self.knownKeys.contains($0) && !Self.bookkeepingKeys.contains($0) }
            .sorted()
        if !object.isNull("num_train_timesteps") { ignoredKeys.append("num_train_timesteps") }
        try validate(source: source)
    }

    /// Checks sizes and their relations, failing with the key that is wrong.
    public func validate(source: String) throws(ModelError) {
        func fail(_ key: String, _ value: Any, _ reason: String) -> ModelError {
            ModelError(path: source, reason: "\"\(key)\" = \(JSONObject.describe(value)): \(reason)")
        }
        let limit = 1 << 16
        guard (1...4096).contains(sampleSize) else { throw fail("sample_size", sampleSize, "must be in 1...4096") }
        guard (1...64).contains(inChannels) else { throw fail("in_channels", inChannels, "must be in 1...64") }
        guard (1...64).contains(outChannels) else { throw fail("out_channels", outChannels, "must be in 1...64") }
        guard !blockOutChannels.isEmpty, blockOutChannels.count <= 8,
              blockOutChannels.allSatisfy({ (1...limit).contains($0) }) else {
            throw fail("block_out_channels", blockOutChannels, "expected 1 to 8 positive channel counts up to \(limit)")
        }
        guard downBlockTypes.count == blockOutChannels.count else {
            throw fail("down_block_types", downBlockTypes.map(\.rawValue),
                       "needs one entry per block_out_channels entry (\(blockOutChannels.count))")
        }
        guard upBlockTypes.count == blockOutChannels.count else {
            throw fail("up_block_types", upBlockTypes.map(\.rawValue),
                       "needs one entry per block_out_channels entry (\(blockOutChannels.count))")
        }
        guard (1...16).contains(layersPerBlock) else { throw fail("layers_per_block", layersPerBlock, "must be in 1...16") }
        // An upper bound on the weights: every block's convolutions at twice its channels.
        let weightBound = blockOutChannels.reduce(0.0) { $0 + 9 * 4 * Double($1) * Double($1) } * Double(4 * layersPerBlock + 6)
        guard weightBound <= 2e9 else {
            throw fail("block_out_channels", blockOutChannels,
                       "about \(Int(weightBound / 1e9)) G parameters would not fit in memory (Phantom accepts up to 2 G)")
        }
        guard [0, 1].contains(downsamplePadding) else { throw fail("downsample_padding", downsamplePadding, "must be 0 or 1") }
        guard dropout >= 0 && dropout < 1 else { throw fail("dropout", dropout, "must be in [0, 1)") }
        guard normEps > 0 else { throw fail("norm_eps", normEps, "must be positive") }
        guard midBlockScaleFactor > 0 else { throw fail("mid_block_scale_factor", midBlockScaleFactor, "must be positive") }
        guard normNumGroups > 0, blockOutChannels.allSatisfy({ $0 % normNumGroups == 0 }) else {
            throw fail("norm_num_groups", normNumGroups, "must divide every block_out_channels entry \(blockOutChannels)")
        }
        if let groups = attnNormNumGroups, groups <= 0 || blockOutChannels.last! % groups != 0 {
            throw fail("attn_norm_num_groups", groups, "must divide the last block's channels \(blockOutChannels.last!)")
        }
        if let headDim = attentionHeadDim {
            guard headDim > 0 else { throw fail("attention_head_dim", headDim, "must be positive or null") }
            for (index, channels) in blockOutChannels.enumerated() where channels % headDim != 0 {
                let usesAttention = downBlockTypes[index] == .attention || upBlockTypes[blockOutChannels.count - 1 - index] == .attention
                    || (index == blockOutChannels.count - 1 && hasMidBlock && addAttention)
                if usesAttention {
                    throw fail("attention_head_dim", headDim, "must divide the attention blocks' channels (\(channels))")
                }
            }
        }
        if let classes = numClassEmbeds, !(1...1_000_000).contains(classes) {
            throw fail("num_class_embeds", classes, "must be in 1...1000000")
        }
        if let width = timeEmbeddingDim, !(1...limit).contains(width) {
            throw fail("time_embedding_dim", width, "must be in 1...\(limit)")
        }
        guard freqShift < blockOutChannels[0] / 2 else {
            throw fail("freq_shift", freqShift, "must be below half the first block's channels")
        }
    }

    /// The configuration as diffusers writes it, ready for `config.json`.
    public func jsonObject(diffusersVersion: String = "0.42.1") -> [String: Any] {
        var object: [String: Any] = [
            "_class_name": "UNet2DModel",
            "_diffusers_version": diffusersVersion,
            "sample_size": sampleSize, "in_channels": inChannels, "out_channels": outChannels,
            "center_input_sample": centerInputSample, "time_embedding_type": "positional",
            "time_embedding_dim": timeEmbeddingDim.map { $0 as Any } ?? NSNull(),
            "freq_shift": freqShift, "flip_sin_to_cos": flipSinToCos,
            "down_block_types": downBlockTypes.map(\.rawValue),
            "mid_block_type": hasMidBlock ? "UNetMidBlock2D" : NSNull(),
            "up_block_types": upBlockTypes.map(\.rawValue),
            "block_out_channels": blockOutChannels, "layers_per_block": layersPerBlock,
            "mid_block_scale_factor": midBlockScaleFactor, "downsample_padding": downsamplePadding,
            "downsample_type": "conv", "upsample_type": "conv", "dropout": dropout, "act_fn": "silu",
            "attention_head_dim": attentionHeadDim.map { $0 as Any } ?? NSNull(),
            "norm_num_groups": normNumGroups,
            "attn_norm_num_groups": attnNormNumGroups.map { $0 as Any } ?? NSNull(),
            "norm_eps": normEps, "resnet_time_scale_shift": "default", "add_attention": addAttention,
            "class_embed_type": NSNull(),
            "num_class_embeds": numClassEmbeds.map { $0 as Any } ?? NSNull(),
            "num_train_timesteps": NSNull(),
        ]
        if diffusersVersion.isEmpty { object["_diffusers_version"] = nil }
        return object
    }

    /// The configuration as pretty-printed JSON with sorted keys.
    public func jsonData() -> Data {
        (try? JSONSerialization.data(withJSONObject: jsonObject(), options: [.prettyPrinted, .sortedKeys])) ?? Data()
    }
}

import Foundation
import PhantomDiffusion
import PhantomSafetensors
import Testing
import PhantomImaging
import PhantomPrivacy

/// Absurd sizes in input files and mismatched settings fail early with a clear error,
/// before anything is allocated from them.
@Suite struct InputLimitTests {
    // MARK: PNG headers

    /// The bytes of a PNG holding a signature, an IHDR chunk, an IDAT chunk whose zlib
    /// stream is empty, and IEND: no pixel data at all, so a decoder that got as far as
    /// reading pixels would report a corrupt file. (libpng reads the header up to the
    /// first IDAT, so one must be there.)
    static func headerOnlyPNG(width: UInt32, height: UInt32, bitDepth: UInt8 = 8, colorType: UInt8 = 0) -> [UInt8] {
        func bigEndian(_ value: UInt32) -> [UInt8] { (0..<4).map { UInt8(truncatingIfNeeded: value >> (24 - 8 * $0)) } }
        func chunk(_ type: String, _ payload: [UInt8]) -> [UInt8] {
            let body = Array(type.utf8) + payload
            return bigEndian(UInt32(payload.count)) + body + bigEndian(crc32(body))
        }
        let header = bigEndian(width) + bigEndian(height) + [bitDepth, colorType, 0, 0, 0]
        return [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + chunk("IHDR", header)
            + chunk("IDAT", [0x78, 0x9C, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01]) + chunk("IEND", [])
    }

    static func crc32(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = crc & 1 != 0 ? 0xEDB8_8320 ^ (crc >> 1) : crc >> 1 }
        }
        return crc ^ 0xFFFF_FFFF
    }

    @Test(arguments: [(UInt8(8), UInt8(0)), (16, 6), (8, 2), (16, 4)])
    func pngHeaderWithAbsurdDimensionsIsRejectedBeforeReadingPixels(bitDepth: UInt8, colorType: UInt8) {
        let bytes = Self.headerOnlyPNG(width: 100_000, height: 100_000, bitDepth: bitDepth, colorType: colorType)
        let error = #expect(throws: ImagingError.self) { try PNGDecoder.decode(bytes, path: "huge.png") }
        // `.dimensions`, not `.corrupt`: the file has no image data, so the size was refused from the header.
        #expect(error?.kind == .dimensions)
        #expect(error?.path == "huge.png")
        #expect(error?.reason == "100000x100000 image exceeds the limit of 100000000 pixels")
    }

    @Test func pngHeaderBeyondLibpngsLimitsIsAnError() {
        // 2³¹−1 wide: past libpng's own width limit (1,000,000); width × height overflows 32 bits.
        for (width, height) in [(UInt32(Int32.max), UInt32(1)), (1, UInt32(Int32.max)), (70_000, 70_000)] {
            let bytes = Self.headerOnlyPNG(width: width, height: height)
            let error = #expect(throws: ImagingError.self) { try PNGDecoder.decode(bytes, path: "wide.png") }
            #expect(error?.kind == .dimensions || error?.kind == .corrupt, "\(String(describing: error))")
            #expect(error?.path == "wide.png")
        }
    }

    @Test func pngHeaderOfZeroWidthIsAnError() {
        let error = #expect(throws: ImagingError.self) {
            try PNGDecoder.decode(Self.headerOnlyPNG(width: 0, height: 16), path: "flat.png")
        }
        #expect(error?.path == "flat.png")
    }

    @Test func pngPixelLimitIsAppliedToTheHeader() {
        // 3000 × 3000 = 9 Mpixel against a 1 Mpixel limit.
        let bytes = Self.headerOnlyPNG(width: 3000, height: 3000, bitDepth: 16, colorType: 6)
        let error = #expect(throws: ImagingError.self) {
            try PNGDecoder.decode(bytes, path: "big.png", maxPixels: 1_000_000)
        }
        #expect(error?.kind == .dimensions)
    }

    // MARK: Model configurations

    static func unetJSON(_ overrides: String) -> Data {
        Data("""
            {"sample_size": 16, "in_channels": 1, "out_channels": 1, "block_out_channels": [8, 16],
             "layers_per_block": 1, "norm_num_groups": 4, "attention_head_dim": 8,
             "down_block_types": ["DownBlock2D", "AttnDownBlock2D"], "up_block_types": ["AttnUpBlock2D", "UpBlock2D"]
             \(overrides.isEmpty ? "" : ", " + overrides)}
            """.utf8)
    }

    @Test func tinyConfigurationIsAccepted() throws {
        let config = try UNetConfig(json: Self.unetJSON(""), source: "config.json")
        #expect(config.blockOutChannels == [8, 16])
    }

    @Test(arguments: [
        (#""block_out_channels": [1000000, 1000000]"#, "block_out_channels"),
        (#""block_out_channels": [-8, 16]"#, "block_out_channels"),
        (#""block_out_channels": [8, 16, 32, 64, 128, 256, 512, 1024, 2048]"#, "block_out_channels"),
        (#""block_out_channels": [1e300, 16]"#, "block_out_channels"),
        (#""sample_size": 1000000"#, "sample_size"),
        (#""sample_size": [1000000, 1000000]"#, "sample_size"),
        (#""layers_per_block": 100000"#, "layers_per_block"),
        (#""in_channels": 100000"#, "in_channels"),
        (#""out_channels": 0"#, "out_channels"),
        (#""num_class_embeds": 1000000000000"#, "num_class_embeds"),
        (#""num_class_embeds": 0"#, "num_class_embeds"),
        (#""time_embedding_dim": 100000000"#, "time_embedding_dim"),
        (#""norm_num_groups": 0"#, "norm_num_groups"),
        // Found by the unet_config fuzzer: 0 divided by zero in validate, a negative size
        // trapped in SelfAttention's precondition (Tests/Fuzz/regressions/unet_config/).
        (#""attention_head_dim": 0"#, "attention_head_dim"),
        (#""attention_head_dim": -8"#, "attention_head_dim"),
        (#""freq_shift": 9223372036854775807"#, "freq_shift"),
        (#""dropout": 1.5"#, "dropout"),
        (#""norm_eps": -1"#, "norm_eps"),
    ])
    func absurdModelSizesAreConfigErrors(override: String, key: String) {
        let error = #expect(throws: ModelError.self) {
            try UNetConfig(json: Self.unetJSON(override), source: "config.json")
        }
        #expect(error?.path == "config.json")
        #expect(error?.reason.contains(key) == true, "\(String(describing: error))")
    }

    /// Inputs that once crashed a fuzz harness (Tests/Fuzz/regressions/<harness>/) are
    /// rejected with an error naming the file.
    @Test func fuzzRegressionInputsAreRejectedCleanly() throws {
        let regressions = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../Fuzz/regressions").standardizedFileURL
        var checked = 0
        for harness in ["unet_config", "scheduler_config", "safetensors"] {
            let folder = regressions.appendingPathComponent(harness)
            let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
            for name in names.sorted() where !name.hasPrefix(".") {
                let data = try Data(contentsOf: folder.appendingPathComponent(name))
                switch harness {
                case "unet_config":
                    let error = #expect(throws: ModelError.self, "\(name)") { try UNetConfig(json: data, source: name) }
                    #expect(error?.path == name)
                case "scheduler_config":
                    let error = #expect(throws: ModelError.self, "\(name)") { try SchedulerConfig(json: data, source: name) }
                    #expect(error?.path == name)
                default:
                    let error = #expect(throws: SafetensorsError.self, "\(name)") { try SafetensorsFile(data: data, path: name) }
                    #expect(error?.path == name)
                }
                checked += 1
            }
        }
        #expect(checked >= 2, "the regression inputs were not found under \(regressions.path)")
    }

    @Test func configOfOneMillionChannelsNamesTheKeyAndTheLimit() {
        // The example of the issue, with one block so the block types match.
        let json = Self.unetJSON(#""block_out_channels": [1000000], "down_block_types": ["DownBlock2D"], "up_block_types": ["UpBlock2D"]"#)
        let error = #expect(throws: ModelError.self) { try UNetConfig(json: json, source: "config.json") }
        #expect(error?.reason == "\"block_out_channels\" = [1000000]: expected 1 to 8 positive channel counts up to 65536")
    }

    /// Every size is within its own limit, but together they ask for ~150 GB of weights
    /// (one 3×3 convolution of 65536 → 65536 channels is 38.7 G parameters).
    @Test func configWhoseWeightsCannotFitInMemoryIsAConfigError() {
        let json = Self.unetJSON(#""block_out_channels": [65536, 65536], "norm_num_groups": 32"#)
        let error = #expect(throws: ModelError.self) { try UNetConfig(json: json, source: "config.json") }
        #expect(error?.reason.hasPrefix("\"block_out_channels\" = [65536,65536]: about") == true)
    }

    // MARK: Trainer settings against the data

    struct ShapedImages: TrainingImages {
        var count = 4
        var resolution = 16
        var classCount = 0
        func label(at index: Int) -> Int? { classCount >= 2 ? index % classCount : nil }
        func writeImage(_ index: Int, into destination: UnsafeMutablePointer<Float>) {
            destination.update(repeating: 0, count: resolution * resolution)
        }
    }

    static func makeUNet(blocks: [Int] = [4, 8], classEmbeds: Int? = nil, inChannels: Int = 1) -> UNet2D {
        var config = UNetConfig(sampleSize: 16, inChannels: inChannels, outChannels: inChannels,
                                downBlockTypes: Array(repeating: .plain, count: blocks.count),
                                upBlockTypes: Array(repeating: .plain, count: blocks.count),
                                blockOutChannels: blocks, layersPerBlock: 1)
        config.normNumGroups = 2
        config.hasMidBlock = false
        config.numClassEmbeds = classEmbeds
        return UNet2D(config: config)
    }

    static func trainerError(_ unet: UNet2D, _ images: ShapedImages,
                             options: TrainingOptions = TrainingOptions()) -> String? {
        do {
            _ = try Trainer(unet: unet, images: images, schedule: NoiseSchedule(), options: options)
            return nil
        } catch let .invalid(reason) {
            return reason
        } catch {
            return "unexpected error kind: \(error)"
        }
    }

    @Test func resolutionThatIsNotAMultipleOfTheDownsamplingFactorIsRejected() {
        // Three levels: the deepest is 4× smaller than the input, so 18 does not divide.
        let reason = Self.trainerError(Self.makeUNet(blocks: [4, 8, 8]), ShapedImages(resolution: 18))
        #expect(reason == "resolution 18 is not a multiple of the U-Net's downsampling factor 4")
        #expect(Self.trainerError(Self.makeUNet(blocks: [4, 8, 8]), ShapedImages(resolution: 20)) == nil)
    }

    @Test func moreClassesThanTheModelHasIsRejected() {
        let reason = Self.trainerError(Self.makeUNet(classEmbeds: 3), ShapedImages(classCount: 5))
        #expect(reason == "the data has 5 classes but the model has 3 class embeddings (needs 6: one per class plus the null class)")
        // As many embeddings as classes is one short: the null class needs its own.
        let short = Self.trainerError(Self.makeUNet(classEmbeds: 5), ShapedImages(classCount: 5))
        #expect(short?.contains("needs 6") == true)
        #expect(Self.trainerError(Self.makeUNet(classEmbeds: 6), ShapedImages(classCount: 5)) == nil)
    }

    @Test func labeledDataForAnUnconditionalModelIsRejected() {
        let reason = Self.trainerError(Self.makeUNet(classEmbeds: nil), ShapedImages(classCount: 2))
        #expect(reason == "the data has 2 classes but the model is unconditional (num_class_embeds is null)")
    }

    @Test func emptyDataMultiChannelModelsAndZeroBatchesAreRejected() {
        #expect(Self.trainerError(Self.makeUNet(), ShapedImages(count: 0)) == "the training set is empty")
        #expect(Self.trainerError(Self.makeUNet(inChannels: 3), ShapedImages())?.contains("1-channel") == true)
        var options = TrainingOptions()
        options.batchSize = 0
        #expect(Self.trainerError(Self.makeUNet(), ShapedImages(), options: options) == "batch size and steps must be positive")
    }

    @Test func classBalanceNeedsClassesAndNoPrivacy() {
        var options = TrainingOptions()
        options.classBalance = 1
        #expect(Self.trainerError(Self.makeUNet(), ShapedImages(), options: options)
            == "class balance needs images in class folders; this data has 0 class")
        #expect(Self.trainerError(Self.makeUNet(classEmbeds: 3), ShapedImages(classCount: 2), options: options) == nil)
        options.privacy = DPSGDOptions(noiseMultiplier: 1, maxGradNorm: 1, sampleRate: 0.5, delta: 1e-5)
        #expect(Self.trainerError(Self.makeUNet(classEmbeds: 3), ShapedImages(classCount: 2), options: options)?
            .hasPrefix("class balance does not go with DP-SGD") == true)
        options.privacy = nil
        options.classBalance = 1.5
        #expect(Self.trainerError(Self.makeUNet(classEmbeds: 3), ShapedImages(classCount: 2), options: options)
            == "class balance must be in [0, 1], got 1.5")
    }
}

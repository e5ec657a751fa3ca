import Foundation
import PhantomDiffusion
import PhantomTensor
import Testing

/// `phantom blend`: (1 − w)·base + w·tuned for every U-Net weight, everything else from the
/// tuned folder, and refusals for models that do not blend.
@Suite struct ModelBlendTests {
    static func config(width: Int = 8) -> UNetConfig {
        var config = UNetConfig(sampleSize: 8, inChannels: 1, outChannels: 1,
                                downBlockTypes: [.plain, .plain], upBlockTypes: [.plain, .plain],
                                blockOutChannels: [4, width], layersPerBlock: 1)
        config.normNumGroups = 2
        config.numClassEmbeds = 3
        return config
    }

    static func writeModel(seed: UInt64, config: UNetConfig = config(), classNames: [String] = ["a", "b"],
                           in root: URL) throws -> URL {
        let unet = UNet2D(config: config)
        unet.initializeParameters(seed: seed)
        let folder = root.appendingPathComponent("model-\(seed)-\(config.blockOutChannels[1])")
        try ModelFolder(unet: unet, schedulerConfig: SchedulerConfig(kind: .ddpm),
                        info: ModelInfo(classNames: classNames, nullClass: classNames.count, bitDepth: 8, resolution: 8))
            .write(to: folder)
        return folder
    }

    static func temporaryRoot() throws -> URL {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("phantom-blend-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        return root
    }

    @Test func everyWeightIsTheBlendAndTheTunedFolderComesAlong() throws {
        let root = try Self.temporaryRoot()
        defer { try? FileManager.default.removeItem(at: root) }
        let base = try Self.writeModel(seed: 1, in: root), tuned = try Self.writeModel(seed: 2, in: root)
        try Data("a guide would live here".utf8).write(to: tuned.appendingPathComponent("README.md"))
        let out = root.appendingPathComponent("blended")
        try ModelBlend.write(base: base, tuned: tuned, weight: 0.25, to: out)

        let (a, b) = (try ModelFolder.load(from: base).unet, try ModelFolder.load(from: tuned).unet)
        let blended = try ModelFolder.load(from: out)
        for ((name, x), (y, z)) in zip(zip(a.namedParameters.map(\.name), a.namedParameters),
                                       zip(b.namedParameters, blended.unet.namedParameters)) {
            let expected = zip(x.parameter.value.values, y.parameter.value.values).map { Float(0.75 * Double($0) + 0.25 * Double($1)) }
            #expect(z.parameter.value.values == expected, "\(name)")
        }
        #expect(a.namedParameters[0].parameter.value.values != b.namedParameters[0].parameter.value.values)
        #expect(blended.info.classNames == ["a", "b"])
        #expect(FileManager.default.contentsEqual(atPath: tuned.appendingPathComponent("README.md").path,
                                                  andPath: out.appendingPathComponent("README.md").path))
        // Weight 1 is the tuned model; writing again replaces the folder.
        try ModelBlend.write(base: base, tuned: tuned, weight: 1, to: out)
        #expect(try ModelFolder.load(from: out).weightsSHA256 == ModelFolder.load(from: tuned).weightsSHA256)
    }

    @Test func modelsThatDoNotBlendAreRefusedAndNothingIsWritten() throws {
        let root = try Self.temporaryRoot()
        defer { try? FileManager.default.removeItem(at: root) }
        let base = try Self.writeModel(seed: 1, in: root)
        let wider = try Self.writeModel(seed: 2, config: Self.config(width: 16), in: root)
        let otherClasses = try Self.writeModel(seed: 3, classNames: ["a", "c"], in: root)
        let tuned = try Self.writeModel(seed: 4, in: root)
        let out = root.appendingPathComponent("blended")
        #expect(throws: ModelError.self) { try ModelBlend.write(base: base, tuned: wider, weight: 0.5, to: out) }
        #expect(throws: ModelError.self) { try ModelBlend.write(base: base, tuned: otherClasses, weight: 0.5, to: out) }
        #expect(throws: ModelError.self) { try ModelBlend.write(base: base, tuned: tuned, weight: 1.5, to: out) }
        #expect(throws: ModelError.self) {
            try ModelBlend.write(base: root.appendingPathComponent("missing"), tuned: tuned, weight: 0.5, to: out)
        }
        #expect(!FileManager.default.fileExists(atPath: out.path))
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: root.path).filter { $0.hasPrefix(".") }
        #expect(leftovers.isEmpty)
    }
}

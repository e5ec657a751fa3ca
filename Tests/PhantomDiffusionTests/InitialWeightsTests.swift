import Foundation
import PhantomDiffusion
import PhantomTensor
import Testing

/// `--init-from`: a run starts from a model folder's weights, and refuses models whose
/// configuration or classes do not fit the data.
@Suite struct InitialWeightsTests {
    func writeModel(classNames: [String]) throws -> URL {
        var config = UNetConfig(sampleSize: 8, inChannels: 1, outChannels: 1,
                                downBlockTypes: [.plain, .plain], upBlockTypes: [.plain, .plain],
                                blockOutChannels: [4, 8], layersPerBlock: 1)
        config.normNumGroups = 2
        config.numClassEmbeds = classNames.count + 1
        let unet = UNet2D(config: config)
        unet.initializeParameters(seed: 42)
        var scheduler = SchedulerConfig(kind: .ddpm)
        scheduler.predictionType = .vPrediction
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("phantom-init-\(UUID().uuidString)")
        try ModelFolder(unet: unet, schedulerConfig: scheduler,
                        info: ModelInfo(classNames: classNames, nullClass: classNames.count, bitDepth: 8, resolution: 8))
            .write(to: folder)
        return folder
    }

    @Test func copiesEveryWeight() throws {
        let folder = try writeModel(classNames: ["a", "b"])
        defer { try? FileManager.default.removeItem(at: folder) }
        let initial = try InitialWeights(path: folder.path)
        let config = try initial.configuration(resolution: 16, classNames: ["a", "b"])
        #expect(config.sampleSize == 16)
        let unet = UNet2D(config: config)
        unet.initializeParameters(seed: 7)
        initial.copy(into: unet)
        #expect(unet.namedParameters.flatMap { $0.parameter.value.values }
                == initial.model.unet.namedParameters.flatMap { $0.parameter.value.values })
        #expect(initial.model.schedulerConfig?.predictionType == .vPrediction)
    }

    @Test func newClassesGetNewEmbeddingsAndEverythingElseCarriesOver() throws {
        let folder = try writeModel(classNames: ["a", "b"])
        defer { try? FileManager.default.removeItem(at: folder) }
        let initial = try InitialWeights(path: folder.path)
        let config = try initial.configuration(resolution: 8, classNames: ["knee", "hip", "spine"], newClasses: true)
        #expect(config.numClassEmbeds == 4)
        let unet = UNet2D(config: config), fresh = UNet2D(config: config)
        unet.initializeParameters(seed: 7)
        fresh.initializeParameters(seed: 7)
        initial.copy(into: unet, newClasses: true)
        let source = Dictionary(uniqueKeysWithValues: initial.model.unet.namedParameters.map { ($0.name, $0.parameter.value.values) })
        let initialised = Dictionary(uniqueKeysWithValues: fresh.namedParameters.map { ($0.name, $0.parameter.value.values) })
        var copied = 0
        for (name, parameter) in unet.namedParameters {
            if name.hasPrefix("class_embedding.") {
                #expect(parameter.value.values == initialised[name])
            } else {
                #expect(parameter.value.values == source[name], "\(name)")
                copied += 1
            }
        }
        #expect(copied == unet.namedParameters.count - 1)
        #expect(throws: ModelError.self) { try initial.configuration(resolution: 8, classNames: [], newClasses: true) }
    }

    @Test func refusesModelsThatDoNotFit() throws {
        let folder = try writeModel(classNames: ["a", "b"])
        defer { try? FileManager.default.removeItem(at: folder) }
        let initial = try InitialWeights(path: folder.path)
        #expect(throws: ModelError.self) { try initial.configuration(resolution: 8, classNames: ["a", "b", "c"]) }
        #expect(throws: ModelError.self) { try initial.configuration(resolution: 8, classNames: ["b", "a"]) }
        #expect(throws: ModelError.self) { try initial.configuration(resolution: 7, classNames: ["a", "b"]) }
        #expect(throws: ModelError.self) { try InitialWeights(path: folder.appendingPathComponent("missing").path) }
        do {
            _ = try initial.configuration(resolution: 8, classNames: ["x", "y"])
            Issue.record("classes of other names were accepted")
        } catch {
            #expect(error.path == folder.path && error.reason.contains("a, b"), "\(error)")
        }
    }
}

import Foundation
import PhantomDiffusion
import PhantomSafetensors
import PhantomLayers
import PhantomTensor
import Testing

/// Autoguidance: out = out_model + (a − 1) · (out_model − out_guide), the guide a weaker model of the same data,
/// alone or with classifier-free guidance.
@Suite(.serialized) struct AutoGuidanceTests {
    /// SamplerDeterminismTests' model (seed 3), or the same architecture initialised from `seed`.
    static func model(seed: UInt64 = 3) -> UNet2D {
        let unet = SamplerDeterminismTests.model(convolution: .automatic)
        if seed != 3 { unet.initializeParameters(seed: seed) }
        return unet
    }

    func draw(_ guidance: Guidance, guide: UNet2D?, indices: [Int] = [0, 1], labels: [Int] = [0, 1],
              config: SchedulerConfig = SchedulerConfig(kind: .dpmSolverMultistep), steps: Int = 6) throws -> [Float] {
        let sampler = Sampler(unet: Self.model(), scheduler: config.makeScheduler(), nullClass: 2, guide: guide)
        return try sampler.sample(indices: indices, labels: labels, seed: 5, steps: steps, guidance: guidance).values
    }

    @Test func aGuideEqualToTheModelChangesNothing() throws {
        // out + (a − 1) · (out − out_guide) = out exactly when the two agree, with or without classifier-free guidance.
        #expect(try draw(Guidance(scale: 1, guideScale: 3), guide: Self.model()) == draw(.none, guide: nil))
        #expect(try draw(Guidance(scale: 2, guideScale: 3), guide: Self.model()) == draw(Guidance(scale: 2), guide: nil))
    }

    @Test func aWeakerGuideMovesTheImagesUnlikeClassifierFreeGuidance() throws {
        let plain = try draw(.none, guide: nil)
        let classifierFree = try draw(Guidance(scale: 2), guide: nil)
        let auto = try draw(Guidance(scale: 1, guideScale: 2), guide: Self.model(seed: 9))
        let both = try draw(Guidance(scale: 2, guideScale: 2), guide: Self.model(seed: 9))
        #expect(auto != plain && auto != classifierFree)
        #expect(both != auto && both != classifierFree)
        // Scales 1 are the model alone, whatever the guide.
        #expect(try draw(.none, guide: Self.model(seed: 9)) == plain)
        // An image depends on its own noise only, not on the batch it is drawn in.
        let second = try draw(Guidance(scale: 1, guideScale: 2), guide: Self.model(seed: 9), indices: [1], labels: [1])
        #expect(Array(auto[(auto.count / 2)...]) == second)
    }

    @Test func autoguidanceKeepsToItsOwnInterval() throws {
        let weak = Self.model(seed: 9)
        let both = try draw(Guidance(scale: 2, guideScale: 2), guide: weak)
        let classifierFree = try draw(Guidance(scale: 2), guide: nil)
        #expect(try draw(Guidance(scale: 2, guideScale: 2, guideSigmas: 0...1000), guide: weak) == both)
        #expect(try draw(Guidance(scale: 2, guideScale: 2, guideSigmas: 1000...2000), guide: weak) == classifierFree)
        // Classifier-free guidance at the noisiest steps, autoguidance at the rest: neither of the above.
        let split = try draw(Guidance(scale: 2, guideScale: 2, sigmas: 10...1000, guideSigmas: 0...10), guide: weak)
        #expect(split != both && split != classifierFree)
    }

    @Test func theGuidedOutputIsTheGuideExtrapolatedTowardTheModel() throws {
        // One DDIM step (t = 0, η = 0, no clipping of x₀) is affine in the model output with
        // weights summing to one, so the guided image is (1 − w)·(guide's image) + w·(model's image).
        var config = SchedulerConfig(kind: .ddim)
        config.clipSample = false
        let guide = Self.model(seed: 9)
        let modelAlone = try draw(.none, guide: nil, config: config, steps: 1)
        let guideSampler = Sampler(unet: Self.model(seed: 9), scheduler: config.makeScheduler(), nullClass: 2)
        let guideAlone = try guideSampler.sample(indices: [0, 1], labels: [0, 1], seed: 5, steps: 1).values
        let guided = try draw(Guidance(scale: 1, guideScale: 2.5), guide: guide, config: config, steps: 1)
        var compared = 0
        for i in guided.indices where abs(modelAlone[i]) < 0.99 && abs(guideAlone[i]) < 0.99 && abs(guided[i]) < 0.99 {
            let expected = -1.5 * guideAlone[i] + 2.5 * modelAlone[i]
            #expect(abs(guided[i] - expected) < 1e-5)
            compared += 1
        }
        #expect(compared > 20)
        #expect(modelAlone != guideAlone)
    }

    static func folder(_ unet: UNet2D, classes: [String] = ["a", "b"], prediction: PredictionType = .epsilon) -> ModelFolder {
        var scheduler = SchedulerConfig(kind: .ddpm)
        scheduler.predictionType = prediction
        return ModelFolder(unet: unet, schedulerConfig: scheduler, info: ModelInfo(classNames: classes, nullClass: 2, bitDepth: 8))
    }

    @Test func aGuideMustReadAndPredictWhatTheModelDoes() throws {
        let model = Self.folder(Self.model())
        var narrower = SamplerDeterminismTests.model(convolution: .automatic).config
        narrower.blockOutChannels = [2, 4]
        narrower.normNumGroups = 1
        narrower.attentionHeadDim = 2
        try AutoGuide.check(model: model, guide: Self.folder(UNet2D(config: narrower)), guidePath: "weak")

        func reason(_ guide: ModelFolder) -> String? {
            do { try AutoGuide.check(model: model, guide: guide, guidePath: "weak"); return nil } catch {
                #expect(error.path == "weak")
                return error.reason
            }
        }
        var larger = narrower
        larger.sampleSize = 16
        #expect(reason(Self.folder(UNet2D(config: larger)))?.contains("16×16") == true)
        #expect(reason(Self.folder(Self.model(), classes: ["b", "a"]))?.contains("classes") == true)
        #expect(reason(Self.folder(Self.model(), prediction: .vPrediction))?.contains("v_prediction") == true)
        var unconditional = narrower
        unconditional.numClassEmbeds = nil
        #expect(reason(Self.folder(UNet2D(config: unconditional)))?.contains("class embeddings") == true)
    }
}

/// Loading a model folder's guide: the user's folder, `none`, or the model's own `"guide"`.
@Suite struct AutoGuideLoadingTests {
    @Test func theModelsOwnGuideIsLoadedCheckedAndHashed() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("autoguide-\(UInt64.random(in: 0..<UInt64.max))")
        defer { try? FileManager.default.removeItem(at: root) }
        let modelURL = root.appendingPathComponent("model"), guideURL = modelURL.appendingPathComponent("guide")
        let plain = AutoGuidanceTests.folder(AutoGuidanceTests.model())
        var info = plain.info
        info.guide = "guide"
        let model = ModelFolder(unet: plain.unet, schedulerConfig: plain.schedulerConfig, info: info)
        try model.write(to: modelURL)
        try AutoGuidanceTests.folder(AutoGuidanceTests.model(seed: 9)).write(to: guideURL)

        let loaded = try #require(try AutoGuide.load(option: nil, for: model, at: modelURL))
        #expect(loaded.url.path == guideURL.path)
        #expect(loaded.folder.unet.config == model.unet.config)
        #expect(try AutoGuide.load(option: "none", for: model, at: modelURL) == nil)
        #expect(loaded.folder.weightsSHA256 != (try ModelFolder.load(from: modelURL)).weightsSHA256)
        #expect(loaded.folder.weightsSHA256 == SHA256.hex(try Data(contentsOf: guideURL.appendingPathComponent("unet/diffusion_pytorch_model.safetensors"))))
        #expect(model.weightsSHA256 == nil)   // made in memory, not read
        do {
            _ = try AutoGuide.load(option: root.appendingPathComponent("missing").path, for: model, at: modelURL)
            Issue.record("loaded a missing guide")
        } catch {
            #expect(error.path.hasSuffix("missing"))
        }
    }
}

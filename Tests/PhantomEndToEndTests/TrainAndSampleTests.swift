import Foundation
import PhantomDiffusion
import PhantomImaging
import Testing

/// From PNG files on disk to a trained model folder to sampled PNG files.
@Suite struct TrainAndSampleTests {
    /// Two classes of 16-bit 12×12 PNGs: horizontal and vertical stripes.
    static func makeFolder() throws -> URL {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("phantom-e2e-\(UUID().uuidString)")
        for (name, horizontal) in [("horizontal", true), ("vertical", false)] {
            let folder = root.appendingPathComponent(name)
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            for index in 0..<6 {
                let floats: [Float] = (0..<144).map { pixel in
                    let (y, x) = (pixel / 12, pixel % 12)
                    return sin(Float(horizontal ? y : x) * 1.1 + Float(index) * 0.3)
                }
                try PNGEncoder.write(GrayImage(width: 12, height: 12, bitDepth: .sixteen, floats: floats),
                                     to: folder.appendingPathComponent("\(index).png").path)
            }
        }
        return root
    }

    @Test func trainsAFewDozenStepsThenSamplesPNGs() throws {
        let data = try Self.makeFolder()
        let run = data.appendingPathComponent("run")
        defer { try? FileManager.default.removeItem(at: data) }

        let dataset = try ImageFolderDataset.load(root: data.path, resolution: 8, skipBad: false,
                                                  maxPixels: PNGDecoder.defaultMaxPixels)
        #expect(dataset.classNames == ["horizontal", "vertical"] && dataset.bitDepth == .sixteen)
        var config = UNetConfig(sampleSize: 8, inChannels: 1, outChannels: 1, downBlockTypes: [.plain, .attention],
                                upBlockTypes: [.attention, .plain], blockOutChannels: [8, 8], layersPerBlock: 1)
        config.normNumGroups = 4
        config.attentionHeadDim = 4
        config.numClassEmbeds = 3
        let unet = UNet2D(config: config)
        unet.initializeParameters(seed: 2)
        var options = TrainingOptions()
        options.batchSize = 4
        options.steps = 36
        options.warmupSteps = 4
        options.learningRate = 2e-3
        let trainer = try Trainer(unet: unet, images: dataset, schedule: NoiseSchedule(),
                                  options: options)
        let info = ModelInfo(classNames: dataset.classNames, nullClass: trainer.nullClass, bitDepth: 16, resolution: 8)
        var plan = TrainingRun.Plan()
        plan.sampleEvery = 18
        let training = TrainingRun(trainer: trainer, folder: run, plan: plan,
                                   schedulerConfig: SchedulerConfig(kind: .ddpm), info: info)
        var losses: [Double] = []
        var grids: [URL] = []
        #expect(try training.run(shouldStop: { false }, onStep: { report, _ in losses.append(report.loss) },
                                 onSample: { grids.append($0) }) == .finished)
        #expect(losses.count == 36 && losses.allSatisfy(\.isFinite))
        // A grid of one sample per class, 8 pixels and a 2-pixel gap each, at steps 18 and 36.
        #expect(grids == [18, 36].map { training.layout.sampleGrid(step: $0) })
        let grid = try ImageSource.read(path: grids[1].path)
        #expect(grid.count == 1 && grid[0].width == 8 * 2 + 2 && grid[0].height == 8)

        let model = try ModelFolder.load(from: training.modelFolder)
        #expect(model.info == info)
        let sampler = Sampler(unet: model.unet, scheduler: try model.schedulerConfig!.converted(to: .ddim).makeScheduler(),
                              nullClass: model.info.nullClass)
        let images = try sampler.sample(indices: [0, 1], labels: [0, 1], seed: 4, steps: 10, guidance: Guidance(scale: 1.5))
        let out = data.appendingPathComponent("samples")
        try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
        for image in 0..<2 {
            let pixels = Array(images.values[(image * 64)..<((image + 1) * 64)])
            let path = out.appendingPathComponent("\(image).png").path
            try PNGEncoder.write(GrayImage(width: 8, height: 8, bitDepth: .sixteen, floats: pixels), to: path)
            let back = try PNGDecoder.read(path: path, maxPixels: 1000)
            #expect(back.width == 8 && back.bitDepth == .sixteen)
        }
    }

    @Test func badInputsFailClearly() throws {
        let missing = "/nonexistent-\(UUID().uuidString)"
        #expect(throws: ImagingError.self) {
            try ImageFolderDataset.load(root: missing, resolution: 8, skipBad: false, maxPixels: 1000)
        }
        let empty = FileManager.default.temporaryDirectory.appendingPathComponent("phantom-empty-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: empty) }
        #expect(throws: ImagingError.self) {
            try ImageFolderDataset.load(root: empty.path, resolution: 8, skipBad: false, maxPixels: 1000)
        }
        // A model folder whose weights file is missing.
        try FileManager.default.createDirectory(at: empty.appendingPathComponent("unet"), withIntermediateDirectories: true)
        let config = UNetConfig.preset("tiny")!
        try config.jsonData().write(to: empty.appendingPathComponent("unet/config.json"))
        do {
            _ = try ModelFolder.load(from: empty)
            Issue.record("loading a model without weights succeeded")
        } catch {
            #expect(error.path.hasSuffix("diffusion_pytorch_model.safetensors"))
        }
    }
}

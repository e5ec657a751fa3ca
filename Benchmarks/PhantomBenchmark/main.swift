import Dispatch
import Foundation
import PhantomDiffusion
import PhantomDistribution
import PhantomLayers
import PhantomPrivacy
import PhantomTensor

// phantom-benchmark: train-step and sampling throughput of the U-Net configurations
// of Benchmarks/README.md, one measurement per process (so peak RSS is its own).
//
//   phantom-benchmark --config tiny|small|cifar|conv|shapes|sgemm|PATH --mode train|sample|trainer|dp-train|allreduce [--batch N]
//                     [--steps N] [--warmup N] [--threads N] [--conv automatic|im2col|winograd2|winograd4]
//                     [--gemm auto|openblas|onednn] [--images-per-pass N] [--json]
//
// train: random t, Gaussian noise, add_noise, forward, MSE, backward, AdamW (lr 1e-4); forward and
// backward `--images-per-pass` images at a time (UNet2D.trainingPass).
// trainer: a step of `phantom train`'s Trainer (batch N of N random images in memory, v-prediction,
// min-SNR-γ 5, AdamW, EMA). dp-train: the same Trainer's DP-SGD step with q = 1 (so each step
// clips, sums and noises exactly N per-image gradients), σ = 1, C = 1, one noise draw; the ratio
// of the two per image is DP-SGD's cost.
// Under mpirun, trainer and dp-train run data-parallel over the processes (batch N is the global
// batch; images/s are global), and allreduce times one all-reduce of the configuration's
// gradient (its parameter count in floats), as a data-parallel step makes; rank 0 reports.
// sample: one forward and one DDPM step per image per step, the forward `--images-per-pass` images at
// a time (default: UNet2D's, which bounds the activation memory; see UNet2D.predict). FLOPs are the GEMM
// operations of one forward pass (convolutions, linear layers and attention
// products, as torch's flop counter counts them), ×3 for a training step.

struct Arguments {
    var config = "tiny", mode = "train", batch: Int?, steps = 5, warmup = 2, threads = 2, json = false
    var convolution = Conv2d.Algorithm.automatic
    var gemm = GemmBackend.Selection.auto
    var imagesPerPass: Int?

    init(_ list: [String]) {
        var iterator = list.dropFirst().makeIterator()
        while let flag = iterator.next() {
            switch flag {
            case "--json": json = true
            case "--conv":
                switch iterator.next() {
                case "automatic": convolution = .automatic
                case "im2col": convolution = .im2col
                case "winograd2": convolution = .winogradF2
                case "winograd4": convolution = .winogradF4
                default: fail("--conv takes automatic, im2col, winograd2 or winograd4")
                }
            case "--gemm":
                guard let selection = iterator.next().flatMap(GemmBackend.Selection.init(rawValue:)) else {
                    fail("--gemm takes auto, openblas or onednn")
                }
                gemm = selection
            case "--config": config = iterator.next() ?? config
            case "--mode": mode = iterator.next() ?? mode
            case "--batch": batch = iterator.next().flatMap { Int($0) }
            case "--steps": steps = iterator.next().flatMap { Int($0) } ?? steps
            case "--warmup": warmup = iterator.next().flatMap { Int($0) } ?? warmup
            case "--images-per-pass": imagesPerPass = iterator.next().flatMap { Int($0) }
            case "--threads": threads = iterator.next().flatMap { Int($0) } ?? threads
            default: fail("unknown argument \(flag)")
            }
        }
        guard ["train", "sample", "trainer", "dp-train", "allreduce"].contains(mode), steps > 0, warmup >= 0 else {
            fail("bad --mode/--steps/--warmup")
        }
    }
}

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("error: \(message)\n".utf8))
    exit(2)
}

/// The sgemm rate under Phantom's threading policy: one 2048² single-threaded
/// product per worker, all at once, best of three.
func sgemmCeiling() -> Double {
    let n = 2048, workers = Parallel.workerCount
    let a = Tensor(zeros: [n, n]), b = Tensor(zeros: [n, n])
    let c = (0..<workers).map { _ in Tensor(zeros: [n, n]) }
    RandomStream(seed: 1).fillUniform(a.data, count: a.count)
    RandomStream(seed: 2).fillUniform(b.data, count: b.count)
    var best = 0.0
    for _ in 0..<3 {
        let start = now()
        Parallel.forEach(workers) { index, _ in
            gemm(m: n, n: n, k: n, a: a.data, lda: n, b: b.data, ldb: n, c: c[index].data, ldc: n)
        }
        best = max(best, 2 * pow(Double(n), 3) * Double(workers) / (now() - start) / 1e9)
    }
    return best
}

/// GFLOP/s of a 3×3 convolution, 128 → 128 channels at 32×32, batch 8: forward,
/// and backward (input and weight gradients, twice the forward FLOPs), beside the
/// sgemm ceiling measured in the same run.
func convolutionReport(steps: Int) -> String {
    let conv = Conv2d(inChannels: 128, outChannels: 128, kernel: 3, padding: 1)
    RandomStream(seed: 1).fillGaussian(conv.weight.value.data, count: conv.weight.value.count)
    let x = Tensor(zeros: [8, 128, 32, 32]), dy = Tensor(zeros: [8, 128, 32, 32])
    RandomStream(seed: 2).fillGaussian(x.data, count: x.count)
    RandomStream(seed: 3).fillGaussian(dy.data, count: dy.count)
    let flops = 2.0 * 8 * 128 * 128 * 9 * 32 * 32
    _ = conv.forward(x)
    _ = conv.backward(dy)
    var forward: [Double] = [], backward: [Double] = []
    for _ in 0..<max(3, steps) {
        var start = now()
        _ = conv.forward(x)
        forward.append(now() - start)
        start = now()
        _ = conv.backward(dy)
        backward.append(now() - start)
    }
    let ceiling = sgemmCeiling()
    let forwardRate = flops / forward.sorted()[forward.count / 2] / 1e9
    let backwardRate = 2 * flops / backward.sorted()[backward.count / 2] / 1e9
    return String(format: "{\"engine\":\"phantom\",\"config\":\"conv\",\"conv_forward_gflops\":%.1f,"
                  + "\"conv_backward_gflops\":%.1f,\"sgemm_gflops\":%.1f,\"forward_share\":%.2f,\"backward_share\":%.2f}",
                  forwardRate, backwardRate, ceiling, forwardRate / ceiling, backwardRate / ceiling)
}

func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }

func peakResidentMiB() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_maxrss) / 1024
}

let arguments = Arguments(CommandLine.arguments)
Parallel.configure(threads: arguments.threads)
GemmBackend.select(arguments.gemm)
if arguments.config == "shapes" {
    print(convolutionShapesReport())
    exit(0)
}
if arguments.config == "conv" {
    print(convolutionReport(steps: arguments.steps))
    exit(0)
}
if arguments.config == "sgemm" {
    print(String(format: "{\"engine\":\"phantom\",\"config\":\"sgemm\",\"gflops\":%.1f}", sgemmCeiling()))
    exit(0)
}
let config: UNetConfig
if let preset = UNetConfig.preset(arguments.config) {
    config = preset
} else {
    do { config = try UNetConfig(contentsOf: URL(fileURLWithPath: arguments.config)) } catch { fail("\(error)") }
}
let batch = arguments.batch ?? (arguments.mode == "sample" ? 16 : 8)
let unet = UNet2D(config: config)
unet.setConvolutionAlgorithm(arguments.convolution)
if let imagesPerPass = arguments.imagesPerPass { unet.imagesPerPass = imagesPerPass }
unet.initializeParameters(seed: 1)
let size = config.sampleSize
let shape = [batch, config.inChannels, size, size]
let labels: [Int]? = config.numClassEmbeds.map { classes in (0..<batch).map { $0 % classes } }
let schedule = NoiseSchedule()

// FLOPs of one forward pass, counted on the GEMMs it runs, as the mode runs them (no memory
// beyond a step's): sampling's passes without activations (and with its forward-only
// convolutions), or one training group's pass, scaled to the batch.
Profiler.reset(enabled: true)
let probeImages = arguments.mode == "sample" ? batch : min(batch, unet.imagesPerPass)
let probe = Tensor(zeros: [probeImages] + shape.dropFirst())
let probeTimes = Array(repeating: Float(500), count: probeImages), probeLabels = labels.map { Array($0.prefix(probeImages)) }
if arguments.mode == "sample" {
    _ = unet.predict(probe, timesteps: probeTimes, classLabels: probeLabels)
} else {
    _ = unet.forward(probe, timesteps: probeTimes, classLabels: probeLabels)
}
let forwardFlops = Double(Profiler.gemmFlops) * Double(batch) / Double(probeImages)
Profiler.reset(enabled: false)

/// `count` random images for the Trainer modes.
struct RandomImages: TrainingImages {
    let count: Int
    let resolution: Int
    let classCount = 0
    func label(at index: Int) -> Int? { nil }
    func writeImage(_ index: Int, into destination: UnsafeMutablePointer<Float>) {
        RandomStream(seed: 7, UInt32(index)).fillUniform(destination, count: resolution * resolution)
        for i in 0..<(resolution * resolution) { destination[i] = 2 * destination[i] - 1 }
    }
}

let group = JobLaunch.processGroup()
let step: (Int) -> Void
if arguments.mode == "allreduce" {
    let gradient = Tensor(zeros: [unet.namedParameters.reduce(0) { $0 + $1.parameter.value.count }])
    step = { _ in
        group.barrier()
        group.allReduceSum(gradient.data, count: gradient.count)
    }
} else if arguments.mode == "trainer" || arguments.mode == "dp-train" {
    var options = TrainingOptions()
    options.batchSize = batch
    options.steps = 1_000_000
    options.warmupSteps = 0
    options.learningRate = 1e-4
    options.snrGamma = 5
    if arguments.mode == "dp-train" {
        options.privacy = DPSGDOptions(noiseMultiplier: 1, maxGradNorm: 1, sampleRate: 1, noiseDraws: 1, delta: 1e-5)
    }
    var scheduler = SchedulerConfig(kind: .ddpm)
    scheduler.predictionType = .vPrediction
    let trainer: Trainer
    do {
        trainer = try Trainer(unet: unet, images: RandomImages(count: batch, resolution: size),
                              schedule: scheduler.noiseSchedule, options: options, group: group)
    } catch { fail("\(error)") }
    step = { _ in _ = try! trainer.trainStep() }
} else if arguments.mode == "train" {
    let optimizer = AdamW(module: unet, learningRate: 1e-4)
    let clean = Tensor(zeros: shape), noise = Tensor(zeros: shape), noisy = Tensor(zeros: shape)
    let gradient = Tensor(zeros: shape)
    RandomStream(seed: 7).fillGaussian(clean.data, count: clean.count)
    step = { index in
        let timesteps = (0..<batch).map { Int(RandomStream(seed: 8, UInt32(index), UInt32($0)).uniform(0) * 999) }
        RandomStream(seed: 9, UInt32(index)).fillGaussian(noise.data, count: noise.count)
        schedule.addNoise(original: clean, noise: noise, timesteps: timesteps, into: noisy)
        unet.zeroGradients()
        unet.trainingPass(noisy, timesteps: timesteps.map(Float.init), classLabels: labels) { images, output in
            let groupGradient = gradient.items(images)
            _ = MeanSquaredError.lossAndGradient(prediction: output, target: noise.items(images), imageWeights: nil,
                                                 gradient: groupGradient, divisor: noise.count)
            return groupGradient
        }
        optimizer.step()
    }
} else {
    let scheduler = DDPMScheduler(config: SchedulerConfig(kind: .ddpm))
    let sample = Tensor(zeros: shape), noise = Tensor(zeros: shape)
    RandomStream(seed: 7).fillGaussian(sample.data, count: sample.count)
    step = { index in
        let t = 999 - index % 1000
        let output = unet.predict(sample, timesteps: Array(repeating: Float(t), count: batch), classLabels: labels)
        RandomStream(seed: 9, UInt32(index)).fillGaussian(noise.data, count: noise.count)
        scheduler.step(modelOutput: output, timestep: t, sample: sample, noise: noise, into: sample)
    }
}

for index in 0..<arguments.warmup { step(index) }
var times: [Double] = []
for index in 0..<arguments.steps {
    let start = now()
    step(arguments.warmup + index)
    times.append(now() - start)
}
// One more step with the per-kind profile on.
Profiler.reset(enabled: true)
let profiledStart = now()
step(arguments.warmup + arguments.steps)
let profiledSeconds = now() - profiledStart
let profile = Profiler.totals.filter { $0.seconds > 0 }
Profiler.reset(enabled: false)

times.sort()
let median = times[times.count / 2]
guard group.isLead else {
    JobLaunch.finish(group)
    exit(0)
}
if arguments.mode == "allreduce" {
    // Bus bandwidth as NCCL's tests define it: a ring moves 2(N−1)/N of the buffer per process.
    let bytes = Double(unet.namedParameters.reduce(0) { $0 + $1.parameter.value.count } * 4)
    let median = times[times.count / 2], ring = 2 * Double(group.size - 1) / Double(group.size)
    let report: [String: Any] = [
        "engine": "phantom", "config": arguments.config, "mode": "allreduce", "processes": group.size,
        "bytes": bytes, "median_s": median, "min_s": times.first!, "max_s": times.last!,
        "bus_gbit_per_s": median > 0 ? ring * bytes * 8 / median / 1e9 : 0,
    ]
    print(String(decoding: try! JSONSerialization.data(withJSONObject: report, options: [.sortedKeys]), as: UTF8.self))
    JobLaunch.finish(group)
    exit(0)
}
let isTraining = arguments.mode != "sample"
let flopsPerStep = forwardFlops * (isTraining ? 3 : 1)
let rate = Double(batch) / median
let result: [String: Any] = [
    "engine": "phantom", "config": arguments.config, "mode": arguments.mode, "batch": batch,
    "threads": arguments.threads, "images_per_pass": unet.imagesPerPass, "gemm": GemmBackend.current.rawValue, "processes": group.size, "median_s": median, "min_s": times.first!, "max_s": times.last!,
    isTraining ? "images_per_sec" : "evals_per_sec": rate,
    "gflops": flopsPerStep / median / 1e9, "forward_gflop_per_image": forwardFlops / Double(batch) / 1e9,
    "peak_rss_mib": peakResidentMiB(),
    "pool_mib": Double(unet.workingBytes.pool) / 1048576,
    "pool_peak_lent_mib": Double(unet.workingBytes.poolPeakLent) / 1048576, "scratch_mib": Double(unet.workingBytes.scratch) / 1048576,
    "parameter_mib": Double(unet.namedParameters.reduce(0) { $0 + $1.parameter.value.count } * 4) / 1048576,
    "profile_s": Dictionary(uniqueKeysWithValues: profile.map { ($0.kind.name, $0.seconds) }),
    "profiled_step_s": profiledSeconds,
]
if arguments.json {
    let data = try! JSONSerialization.data(withJSONObject: result, options: [.sortedKeys])
    print(String(decoding: data, as: UTF8.self))
} else {
    print(String(format: "%@ %@ batch %d: %.4f s/step (min %.4f, max %.4f), %.2f %@, %.1f GFLOP/s, peak RSS %.0f MiB",
                 arguments.config, arguments.mode, batch, median, times.first!, times.last!, rate,
                 isTraining ? "images/s" : "evals/s", flopsPerStep / median / 1e9, peakResidentMiB()))
    print(String(format: "  memory: pool %.0f MiB, scratch %.0f MiB, parameters %.0f MiB (each copy)",
                 result["pool_mib"] as! Double, result["scratch_mib"] as! Double, result["parameter_mib"] as! Double))
    for entry in profile {
        let name = entry.kind.name.padding(toLength: 18, withPad: " ", startingAt: 0)
        print("  \(name) \(String(format: "%5.1f", 100 * entry.seconds / profiledSeconds))%")
    }
}
JobLaunch.finish(group)

import Foundation
import PhantomDiffusion
import PhantomLayers
import PhantomTensor

// Quick timing of U-Net forward+backward (placeholder until the full harness lands).
let args = CommandLine.arguments
let preset = args.count > 1 ? args[1] : "tiny"
let batch = args.count > 2 ? Int(args[2])! : 8
let steps = args.count > 3 ? Int(args[3])! : 5
Parallel.configure(threads: 2)
let config = UNetConfig.preset(preset) ?? (try! UNetConfig(contentsOf: URL(fileURLWithPath: preset)))
let unet = UNet2D(config: config)
unet.initializeParameters(seed: 1)
let x = Tensor(zeros: [batch, 1, config.sampleSize, config.sampleSize])
RandomStream(seed: 3).fillGaussian(x.data, count: x.count)
let t: [Float] = (0..<batch).map { Float($0 * 97 % 1000) }
let labels: [Int]? = config.numClassEmbeds.map { n in (0..<batch).map { $0 % n } }
let grad = Tensor(zeros: x.shape)
var times: [Double] = []
for step in 0..<(steps + 2) {
    let start = DispatchTime.now().uptimeNanoseconds
    let y = unet.forward(x, timesteps: t, classLabels: labels)
    _ = MeanSquaredError.lossAndGradient(prediction: y, target: x, gradient: grad)
    unet.zeroGradients()
    unet.backward(grad)
    let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    print("step \(step): \(seconds)")
    if step >= 2 { times.append(seconds) }
}
Profiler.reset(enabled: true)
let y = unet.forward(x, timesteps: t, classLabels: labels)
_ = MeanSquaredError.lossAndGradient(prediction: y, target: x, gradient: grad)
unet.zeroGradients()
let profiledStart = DispatchTime.now().uptimeNanoseconds
unet.backward(grad)
_ = profiledStart
for (kind, seconds) in Profiler.totals where seconds > 0 { print("  \(kind.name): \(String(format: "%.3f", seconds)) s") }
times.sort()
let median = times[times.count / 2]
print("\(preset) batch \(batch): \(String(format: "%.3f", median)) s/step, \(String(format: "%.2f", Double(batch) / median)) img/s")

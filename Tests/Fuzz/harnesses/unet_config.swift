// libFuzzer harness: UNetConfig(json:source:) on arbitrary bytes.
// Contract: any input is either accepted or rejected with a ModelError naming the
// source. An accepted configuration writes JSON that reads back to an equal
// configuration, and a small one builds a UNet2D that runs forward and backward.
import Foundation
import PhantomDiffusion
import PhantomTensor

private let verbose = ProcessInfo.processInfo.environment["FUZZ_VERBOSE"] != nil

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzUNetConfig(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let config: UNetConfig
    do {
        config = try UNetConfig(json: Data(bytes: data, count: size), source: "fuzz.json")
    } catch {
        if verbose { print("rejected: \(error)") }
        precondition(error.path == "fuzz.json", "error does not name the file: \(error)")
        return 0
    }
    if verbose { print("accepted: \(config.blockOutChannels), sample \(config.sampleSize)") }
    _ = config.downsamplingFactor
    _ = config.timeEmbeddingWidth
    let written = config.jsonData()
    do {
        let reread = try UNetConfig(json: written, source: "rewritten.json")
        precondition(reread == config, "config.json does not read back equal:\n\(String(decoding: written, as: UTF8.self))")
    } catch {
        preconditionFailure("an accepted configuration wrote JSON it rejects: \(error)")
    }
    // Build and run only small models (the limits are a fuzzing budget, not a contract).
    let small = config.blockOutChannels.allSatisfy { $0 <= 32 } && config.blockOutChannels.count <= 3
        && config.layersPerBlock <= 2 && config.sampleSize <= 16 && config.inChannels <= 4
        && config.outChannels <= 4 && (config.timeEmbeddingDim ?? 0) <= 128 && (config.numClassEmbeds ?? 0) <= 16

    guard small else { return 0 }
    let side = max(config.downsamplingFactor, config.sampleSize - config.sampleSize % config.downsamplingFactor)
    let unet = UNet2D(config: config)
    unet.initializeParameters(seed: 1)
    let input = Tensor(zeros: [1, config.inChannels, side, side])
    for index in 0..<input.count { input.data[index] = Float(index % 7) / 7 - 0.5 }
    let labels = config.numClassEmbeds.map { [$0 - 1] }
    let output = unet.forward(input, timesteps: [3], classLabels: labels)
    precondition(output.shape == [1, config.outChannels, side, side], "output shape \(output.shape)")
    _ = unet.backward(Tensor(zeros: output.shape))
    return 0
}

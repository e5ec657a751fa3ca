import ArgumentParser
import Foundation
import PhantomDiffusion
import PhantomSafetensors
import PhantomTensor

/// `phantom forward MODEL --input IN.safetensors --output OUT.safetensors`: one
/// U-Net evaluation, for checking Phantom against PyTorch on any input.
struct ForwardCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "forward",
        abstract: "Run the U-Net of a model once on tensors from a safetensors file.",
        discussion: """
            IN holds `sample` [B,C,H,W] (F32, F16 or BF16), `timestep` [B] or a scalar (float or \
            integer), and `class_labels` [B] (integer) for class-conditional models. OUT receives \
            `sample`, the model output, as F32.
            """
    )

    @Argument(help: "A model folder (diffusers pipeline layout, or a bare unet/ folder).") var model: String
    @Option(help: "The input safetensors file.") var input: String
    @Option(help: "Where to write the output safetensors file.") var output: String
    @OptionGroup var threading: ThreadOptions

    func run() throws {
        threading.apply()
        do {
            let folder = try ModelFolder.load(from: URL(fileURLWithPath: model))
            let unet = folder.unet
            let file = try SafetensorsFile(contentsOf: URL(fileURLWithPath: input))
            let stored = try file.tensor(named: "sample")
            let config = unet.config
            guard stored.shape.count == 4, stored.shape[1] == config.inChannels, stored.shape[0] > 0 else {
                throw CommandError("\(input): \"sample\" has shape \(stored.shape); expected [B, \(config.inChannels), H, W]")
            }
            let factor = config.downsamplingFactor
            guard stored.shape[2] > 0, stored.shape[2] % factor == 0, stored.shape[3] % factor == 0 else {
                throw CommandError("\(input): sample size \(stored.shape[2])x\(stored.shape[3]) is not a positive multiple of \(factor)")
            }
            let batch = stored.shape[0]
            let sample = Tensor(shape: stored.shape, values: try stored.floats())
            let timesteps = try readTimesteps(file, batch: batch)
            var labels: [Int]?
            if let classes = config.numClassEmbeds {
                guard let labelTensor = file["class_labels"] else {
                    throw CommandError("\(input): the model is class-conditional; \"class_labels\" [B] is required")
                }
                let values = try labelTensor.int64s().map { Int($0) }
                guard values.count == batch, values.allSatisfy({ (0..<classes).contains($0) }) else {
                    throw CommandError("\(input): \"class_labels\" must hold \(batch) integers in 0..<\(classes)")
                }
                labels = values
            } else if file["class_labels"] != nil {
                throw CommandError("\(input): \"class_labels\" given but the model is not class-conditional")
            }
            let result = unet.predict(sample, timesteps: timesteps, classLabels: labels)
            try SafetensorsWriter.write([.float32("sample", shape: result.shape, UnsafeBufferPointer(result.buffer))],
                                        to: URL(fileURLWithPath: output))
            print("wrote \(output): sample \(result.shape)")
        } catch let error as CommandError {
            Terminal.error(error.message)
            throw ExitCode.failure
        } catch {
            Terminal.error("\(error)")
            throw ExitCode.failure
        }
    }

    private func readTimesteps(_ file: SafetensorsFile, batch: Int) throws -> [Float] {
        let stored = try file.tensor(named: "timestep")
        let values: [Float]
        switch stored.dtype {
        case .int64, .int32: values = try stored.int64s().map { Float($0) }
        default: values = try stored.floats()
        }
        if values.count == 1 { return Array(repeating: values[0], count: batch) }
        guard values.count == batch else {
            throw CommandError("\(input): \"timestep\" holds \(values.count) values for a batch of \(batch)")
        }
        return values
    }
}

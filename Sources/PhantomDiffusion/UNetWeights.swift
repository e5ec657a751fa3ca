import Foundation
import PhantomLayers
import PhantomSafetensors

extension UNet2D {
    /// diffusers' pre-0.x attention names and the current ones they map to.
    static let legacyAttentionNames = [
        ".query.": ".to_q.", ".key.": ".to_k.", ".value.": ".to_v.", ".proj_attn.": ".to_out.0.",
    ]

    /// The current parameter name for a name as stored in a (possibly old) state dict.
    static func currentName(_ stored: String) -> String {
        for (legacy, current) in legacyAttentionNames where stored.contains(legacy) {
            return stored.replacingOccurrences(of: legacy, with: current)
        }
        return stored
    }

    /// Loads every parameter from a diffusers `diffusion_pytorch_model.safetensors`
    /// (F32, F16 or BF16; legacy attention names accepted). Missing, unexpected or
    /// mis-shaped tensors are all listed in one error, and nothing is changed then.
    public func loadWeights(from file: SafetensorsFile) throws(ModelError) {
        let parameters = Dictionary(uniqueKeysWithValues: namedParameters.map { ($0.name, $0.parameter) })
        var found: [String: SafetensorsTensor] = [:]
        var unexpected: [String] = [], misshaped: [String] = []
        for tensor in file.tensors {
            let name = Self.currentName(tensor.name)
            guard let parameter = parameters[name] else {
                unexpected.append(tensor.name)
                continue
            }
            // Legacy attention weights may be stored as 1×1 convolutions [out, in, 1, 1].
            let squeezed = tensor.shape.count == 4 && tensor.shape[2...] == [1, 1] && parameter.shape.count == 2
                ? Array(tensor.shape[..<2]) : tensor.shape
            if squeezed != parameter.shape {
                misshaped.append("\(tensor.name) \(tensor.shape) (expected \(parameter.shape))")
            }
            found[name] = tensor
        }
        let missing = parameters.keys.filter { found[$0] == nil }.sorted()
        var problems: [String] = []
        if !missing.isEmpty { problems.append("missing: " + missing.joined(separator: ", ")) }
        if !unexpected.isEmpty { problems.append("unexpected: " + unexpected.sorted().joined(separator: ", ")) }
        if !misshaped.isEmpty { problems.append("wrong shape: " + misshaped.joined(separator: ", ")) }
        guard problems.isEmpty else {
            throw ModelError(path: file.path, reason: "weights do not fit this configuration; " + problems.joined(separator: "; "))
        }
        for (name, tensor) in found {
            do {
                try tensor.copyFloats(into: parameters[name]!.value.buffer)
            } catch {
                throw ModelError(path: file.path, reason: error.reason)
            }
        }
    }

    /// Writes every parameter as F32 under its diffusers name, atomically.
    public func saveWeights(to url: URL, metadata: [String: String] = ["format": "pt"]) throws(ModelError) {
        let entries = namedParameters.map { entry in
            SafetensorsWriter.Entry.float32(entry.name, shape: entry.parameter.shape,
                                            UnsafeBufferPointer(entry.parameter.value.buffer))
        }
        do {
            try SafetensorsWriter.write(entries, metadata: metadata, to: url)
        } catch {
            throw ModelError(path: url.path, reason: error.reason)
        }
    }
}

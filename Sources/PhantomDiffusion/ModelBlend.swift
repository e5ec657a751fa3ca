import Foundation

/// Weight-space blending of a fine-tuned model with the model it started from (WiSE-FT,
/// Wortsman et al. 2022, "Robust fine-tuning of zero-shot models"): every parameter becomes
///
///     θ = (1 − w) · θ_base + w · θ_tuned,
///
/// so `w = 1` is the fine-tuned model and `w = 0` the base. Between the two, a blend keeps
/// much of what the fine-tune learnt while staying nearer the base model, which had seen the
/// fine-tuning images less often: on the shipped scans model, a class-balanced fine-tune's
/// samples came closer to the training images (6 of 600 flagged by `phantom audit`), and the
/// blend at weight 0.6 kept its class fidelity with fewer flags (Weights/medimg-64/README.md).
public enum ModelBlend {
    /// Writes to `destination` a copy of the model folder `tuned` (its scheduler, `phantom.json`,
    /// guide model and any other files) whose U-Net weights are the blend of `base`'s and
    /// `tuned`'s with weight `weight` of the tuned model (in 0…1). The two U-Nets must have the
    /// same configuration, and the same class names when both folders name them. Each blended
    /// value is computed in Double and rounded once to Float. `destination` is replaced only
    /// once everything is written. Returns the blended U-Net.
    @discardableResult
    public static func write(base: URL, tuned: URL, weight: Double, to destination: URL) throws(ModelError) -> UNet2D {
        guard weight >= 0 && weight <= 1 else {
            throw ModelError(path: tuned.path, reason: "blend weight \(weight) is outside 0…1")
        }
        let baseModel = try ModelFolder.load(from: base), tunedModel = try ModelFolder.load(from: tuned)
        guard baseModel.unet.config == tunedModel.unet.config else {
            throw ModelError(path: tuned.path, reason: "its U-Net configuration differs from that of \(base.path): "
                             + "only a fine-tune of a model blends with it")
        }
        let (baseClasses, tunedClasses) = (baseModel.info.classNames, tunedModel.info.classNames)
        guard baseClasses.isEmpty || tunedClasses.isEmpty || baseClasses == tunedClasses else {
            throw ModelError(path: tuned.path, reason: "its classes (\(tunedClasses.joined(separator: ", "))) "
                             + "differ from those of \(base.path) (\(baseClasses.joined(separator: ", ")))")
        }
        let blended = tunedModel.unet
        for (from, into) in zip(baseModel.unet.namedParameters, blended.namedParameters) {
            let a = from.parameter.value.data, b = into.parameter.value.data
            for i in 0..<into.parameter.value.count {
                b[i] = Float((1 - weight) * Double(a[i]) + weight * Double(b[i]))
            }
        }
        try ModelFolder.writeStaged(to: destination) { staging in
            try FileManager.default.copyItem(at: tuned, to: staging)
            try blended.saveWeights(to: ModelFolder.unetFolder(in: staging).appendingPathComponent(ModelFolder.weightsName))
        }
        return blended
    }
}

import Foundation
import PhantomLayers

/// A trained model that a new training run starts from (`phantom train --init-from`):
/// fine-tuning the shipped model on a hospital's own scans, or continuing a long run on
/// another machine with only the weights. The run gets a fresh optimizer, EMA and
/// learning-rate schedule; only the U-Net's weights carry over.
public struct InitialWeights {
    /// The parameters of the class embeddings (diffusers' `class_embedding`).
    static let classEmbeddingPrefix = "class_embedding."
    public let model: ModelFolder
    /// Where the model was read from, for messages and the run's record.
    public let path: String

    /// Reads the model folder at `path` (Phantom's or a diffusers `UNet2DModel`).
    public init(path: String) throws(ModelError) {
        model = try ModelFolder.load(from: URL(fileURLWithPath: path))
        self.path = path
    }

    /// The U-Net configuration of a run on `resolution`-pixel images of `classNames`
    /// (sorted class folder names; empty for unlabelled data) that starts from this model.
    ///
    /// With `newClasses`, the data's classes (any number, any names) get new class embeddings
    /// (one per class plus the null class, initialised like a new model's) and every other
    /// weight carries over: fine-tuning the shipped model on a hospital's own classes.
    ///
    /// - Throws: ``ModelError`` when the model is not a 1-channel model, the resolution is
    ///   not a multiple of its downsampling factor, or its classes do not fit the data:
    ///   a conditional run needs exactly one class embedding per class plus the null class,
    ///   and, when the model names its classes, the same names in the same order (unless
    ///   `newClasses`, which needs class folders).
    public func configuration(resolution: Int, classNames: [String], newClasses: Bool = false) throws(ModelError) -> UNetConfig {
        var config = model.unet.config
        guard config.inChannels == 1, config.outChannels == 1 else {
            throw ModelError(path: path, reason: "Phantom trains 1-channel models; this one has \(config.inChannels) in, \(config.outChannels) out")
        }
        guard resolution % config.downsamplingFactor == 0 else {
            throw ModelError(path: path, reason: "--resolution \(resolution) is not a multiple of the model's downsampling factor \(config.downsamplingFactor)")
        }
        if newClasses {
            guard classNames.count >= 2 else {
                throw ModelError(path: path, reason: "new class embeddings need class folders in the data (two or more)")
            }
            config.numClassEmbeds = classNames.count + 1
        } else if classNames.count >= 2 {
            guard let embeds = config.numClassEmbeds else {
                throw ModelError(path: path, reason: "the model is unconditional but the data has \(classNames.count) classes")
            }
            guard embeds == classNames.count + 1 else {
                throw ModelError(path: path, reason: "the model has \(embeds) class embeddings (\(embeds - 1) classes and the null class); the data has \(classNames.count) classes (\(classNames.joined(separator: ", "))); --init-new-classes gives them new embeddings")
            }
            let named = model.info.classNames
            guard named.isEmpty || named == classNames else {
                throw ModelError(path: path, reason: "the model's classes are \(named.joined(separator: ", ")); the data's are \(classNames.joined(separator: ", ")) (rename the class folders to match, in the same order, or give the data's classes new embeddings with --init-new-classes)")
            }
        }
        config.sampleSize = resolution
        return config
    }

    /// Copies the model's weights into `unet`, which must have been built from
    /// ``configuration(resolution:classNames:newClasses:)``; with `newClasses`, `unet`'s own
    /// class embeddings stay.
    public func copy(into unet: UNet2D, newClasses: Bool = false) {
        let source = Dictionary(uniqueKeysWithValues: model.unet.namedParameters.map { ($0.name, $0.parameter) })
        for (name, parameter) in unet.namedParameters where !(newClasses && name.hasPrefix(Self.classEmbeddingPrefix)) {
            guard let from = source[name], from.shape == parameter.shape else {
                preconditionFailure("parameter \(name) differs between the model and the run's U-Net")
            }
            parameter.value.copy(from: from.value)
        }
    }
}

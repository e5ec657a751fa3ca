import Foundation

/// Whether a weaker model can guide a stronger one (``Sampler/guide``, autoguidance).
///
/// Guidance mixes the two models' outputs pixel by pixel at the same noisy image and
/// timestep, so they must read and predict the same things: the same image size and
/// channels, the same noise schedule and prediction type (ε, v or x₀), and the same classes
/// at the same class-embedding indices. Width, depth, attention and training length may
/// differ — a smaller, shorter-trained model is the point.
public enum AutoGuide {
    /// Throws, naming `guidePath`, the first way `guide` does not fit `model`.
    public static func check(model: ModelFolder, guide: ModelFolder, guidePath: String) throws(ModelError) {
        let strong = model.unet.config, weak = guide.unet.config
        func fail(_ reason: String) -> ModelError { ModelError(path: guidePath, reason: "cannot guide the model: \(reason)") }
        guard weak.sampleSize == strong.sampleSize else {
            throw fail("its images are \(weak.sampleSize)×\(weak.sampleSize), the model's \(strong.sampleSize)×\(strong.sampleSize)")
        }
        guard weak.inChannels == strong.inChannels, weak.outChannels == strong.outChannels else {
            throw fail("it has \(weak.inChannels) → \(weak.outChannels) channels, the model \(strong.inChannels) → \(strong.outChannels)")
        }
        guard weak.numClassEmbeds == strong.numClassEmbeds else {
            throw fail("it has \(weak.numClassEmbeds.map(String.init) ?? "no") class embeddings, the model \(strong.numClassEmbeds.map(String.init) ?? "none")")
        }
        guard guide.info.classNames == model.info.classNames else {
            throw fail("its classes are [\(guide.info.classNames.joined(separator: ", "))], the model's [\(model.info.classNames.joined(separator: ", "))]")
        }
        let strongSchedule = (model.schedulerConfig ?? SchedulerConfig(kind: .ddpm)).noiseSchedule
        let weakSchedule = (guide.schedulerConfig ?? SchedulerConfig(kind: .ddpm)).noiseSchedule
        guard weakSchedule.predictionType == strongSchedule.predictionType else {
            throw fail("it predicts \(weakSchedule.predictionType.rawValue), the model \(strongSchedule.predictionType.rawValue)")
        }
        guard weakSchedule == strongSchedule else {
            throw fail("its noise schedule (β and timesteps in scheduler_config.json) differs from the model's")
        }
    }

    /// The guide to sample `model` (read from `modelFolder`) with, loaded and checked: `option`
    /// as the user names it (a folder, or `none`), else the model's own `"guide"`
    /// (``ModelInfo/guideFolder(option:modelFolder:)``); nil when there is none.
    public static func load(option: String?, for model: ModelFolder,
                            at modelFolder: URL) throws(ModelError) -> (url: URL, folder: ModelFolder)? {
        guard let url = model.info.guideFolder(option: option, modelFolder: modelFolder) else { return nil }
        let guide = try ModelFolder.load(from: url)
        try check(model: model, guide: guide, guidePath: url.path)
        return (url, guide)
    }
}

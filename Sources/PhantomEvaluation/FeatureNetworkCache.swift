import Foundation

/// Where a feature network comes from when it is not read from `--net`: the cache, keyed
/// by ``FeatureNetworkFile/cacheKey(images:classNames:recipe:)``, or a new training run
/// whose result is written to `networkPath` (to ship it) or into the cache.
public enum FeatureNetworkCache {
    /// `$XDG_CACHE_HOME/phantom/feature-networks`, else `~/.cache/phantom/feature-networks`.
    public static var defaultDirectory: String {
        let base = ProcessInfo.processInfo.environment["XDG_CACHE_HOME"]
            ?? (FileManager.default.homeDirectoryForCurrentUser.path + "/.cache")
        return base + "/phantom/feature-networks"
    }

    struct Obtained {
        var network: FeatureNetwork
        /// "cached" or "trained".
        var source: String
        var path: String?
    }

    static func obtain(train: LabeledImages, classNames: [String], recipe: ClassifierRecipe, networkPath: String?,
                       cacheDirectory: String?, warnings: inout [String],
                       progress: (Int, Int) -> Void) throws(EvaluationError) -> Obtained {
        let key = FeatureNetworkFile.cacheKey(images: train, classNames: classNames, recipe: recipe)
        let cached = networkPath == nil
            ? cacheDirectory.map { URL(fileURLWithPath: $0).appendingPathComponent("\(key).safetensors") } : nil
        if let cached, FileManager.default.fileExists(atPath: cached.path),
           let (found, description) = try? FeatureNetworkFile.read(cached), description.trainingKey == key {
            return Obtained(network: found, source: "cached", path: cached.path)
        }
        let network = FeatureNetwork.train(on: train, classNames: classNames, recipe: recipe) { step, total, _ in
            progress(step, total)
        }
        let description = FeatureNetworkFile.Description(
            side: train.side, classNames: classNames, recipe: recipe, trainingKey: key,
            trainingAccuracy: SampleEvaluation.accuracy(network.embed(train).predictions, train.labels))
        let destination = networkPath.map { URL(fileURLWithPath: $0) } ?? cached
        if let destination {
            try? FileManager.default.createDirectory(at: destination.deletingLastPathComponent(), withIntermediateDirectories: true)
            do { try FeatureNetworkFile.write(network, description: description, to: destination) } catch {
                if networkPath != nil { throw error }
                warnings.append("could not cache the feature network: \(error)")
            }
        }
        return Obtained(network: network, source: "trained", path: destination?.path)
    }
}

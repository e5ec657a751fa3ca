import Foundation
import PhantomSafetensors

/// A trained ``FeatureNetwork`` in one safetensors file: the parameters under their
/// ``FeatureNetwork/namedParameters`` names, and in the header's metadata the format
/// tag, the image side, the class names, the recipe and the SHA-256 of the training
/// images it was trained on (the cache key).
public enum FeatureNetworkFile {
    static let format = "phantom-feature-network-1"

    /// What the file says about the network besides its weights.
    public struct Description: Codable, Hashable, Sendable {
        public var side: Int
        public var classNames: [String]
        public var recipe: ClassifierRecipe
        /// SHA-256 of the training images, labels and recipe (``cacheKey(images:classNames:recipe:)``).
        public var trainingKey: String
        /// Accuracy on its own training images, for the record.
        public var trainingAccuracy: Double
    }

    /// Writes `network` to `url` (replacing it atomically).
    public static func write(_ network: FeatureNetwork, description: Description, to url: URL) throws(EvaluationError) {
        let entries = network.namedParameters.map { entry in
            SafetensorsWriter.Entry.float32(entry.name, shape: entry.parameter.shape, entry.parameter.value.values)
        }
        do {
            let json = String(decoding: try JSONEncoder().encode(description), as: UTF8.self)
            try SafetensorsWriter.write(entries, metadata: ["format": format, "description": json], to: url)
        } catch let error as SafetensorsError {
            throw EvaluationError(path: error.path, reason: error.reason)
        } catch {
            throw EvaluationError(path: url.path, reason: "cannot encode the network's description (\(error))")
        }
    }

    /// Reads a network written by ``write(_:description:to:)``.
    public static func read(_ url: URL) throws(EvaluationError) -> (FeatureNetwork, Description) {
        do {
            let file = try SafetensorsFile(contentsOf: url)
            guard file.metadata["format"] == format, let json = file.metadata["description"] else {
                throw EvaluationError(path: url.path, reason: "not a Phantom feature network (no \"\(format)\" metadata)")
            }
            let description: Description
            do { description = try JSONDecoder().decode(Description.self, from: Data(json.utf8)) } catch {
                throw EvaluationError(path: url.path, reason: "unreadable network description")
            }
            guard description.side > 0, description.side % 8 == 0, description.side <= 4096,
                  description.classNames.count >= 2 else {
                throw EvaluationError(path: url.path, reason: "network for side \(description.side) and \(description.classNames.count) classes is not valid")
            }
            let network = FeatureNetwork(side: description.side, classNames: description.classNames, seed: 0)
            for entry in network.namedParameters {
                let value = entry.parameter.value
                try file.copyFloats(named: entry.name, shape: entry.parameter.shape,
                                    into: UnsafeMutableBufferPointer(start: value.data, count: value.count))
            }
            return (network, description)
        } catch let error as SafetensorsError {
            throw EvaluationError(path: error.path, reason: error.reason)
        } catch let error as EvaluationError {
            throw error
        } catch {
            throw EvaluationError(path: url.path, reason: "\(error)")
        }
    }

    /// The cache key of a network trained on `images` with `classNames` and `recipe`:
    /// SHA-256 over the pixels, labels, class names and recipe.
    public static func cacheKey(images: LabeledImages, classNames: [String], recipe: ClassifierRecipe) -> String {
        var bytes = Data()
        bytes.append(contentsOf: format.utf8)
        images.pixels.withUnsafeBytes { bytes.append(contentsOf: $0) }
        images.labels.map(Int64.init).withUnsafeBytes { bytes.append(contentsOf: $0) }
        bytes.append(contentsOf: classNames.joined(separator: "\n").utf8)
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        bytes.append((try? encoder.encode(recipe)) ?? Data())
        return SHA256.hex(bytes)
    }
}

import Foundation

/// The fields of a samples folder's `manifest.json` (written by `phantom sample`) that
/// say which model and sampler made the images.
enum SamplesManifest {
    static let fields = ["model", "model_sha256", "scheduler", "steps", "guidance_scale", "guidance_interval", "guide_model",
                         "guide_scale", "seed"]

    /// The fields as text, or an empty dictionary when the folder has no readable manifest.
    static func read(folder: String) -> [String: String] {
        let url = URL(fileURLWithPath: folder).appendingPathComponent("manifest.json")
        guard let data = try? Data(contentsOf: url),
              let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return [:] }
        var result: [String: String] = [:]
        for field in fields { if let value = object[field], !(value is NSNull) { result[field] = "\(value)" } }
        return result
    }
}

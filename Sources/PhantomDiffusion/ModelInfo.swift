import Foundation

/// What Phantom records beside a diffusers model (`phantom.json`): the class
/// names in label order, the label used as "no class" for classifier-free
/// guidance, and the bit depth of the training images.
public struct ModelInfo: Equatable, Sendable {
    public static let fileName = "phantom.json"

    public var classNames: [String]
    /// The class-embedding index trained as "unconditional" (label dropout), if any.
    public var nullClass: Int?
    /// 8 or 16: the bit depth samples are written in by default.
    public var bitDepth: Int
    /// The images' resolution during training.
    public var resolution: Int?

    public init(classNames: [String], nullClass: Int?, bitDepth: Int, resolution: Int? = nil) {
        self.classNames = classNames
        self.nullClass = nullClass
        self.bitDepth = bitDepth
        self.resolution = resolution
    }

    init(json data: Data, source: String) throws(ModelError) {
        let object: JSONObject
        do { object = try JSONObject(data: data, source: source) } catch {
            throw ModelError(file: error.file, reason: error.reason)
        }
        do {
            classNames = try object.strings("class_names", default: [])
            nullClass = try object.optionalInt("null_class")
            bitDepth = try object.int("bit_depth", default: 8)
            resolution = try object.optionalInt("resolution")
        } catch {
            throw ModelError(file: error.file, reason: error.reason)
        }
        guard bitDepth == 8 || bitDepth == 16 else {
            throw ModelError(file: source, reason: "\"bit_depth\" = \(bitDepth): must be 8 or 16")
        }
    }

    func jsonData() throws -> Data {
        var object: [String: Any] = ["class_names": classNames, "bit_depth": bitDepth]
        object["null_class"] = nullClass ?? NSNull()
        object["resolution"] = resolution ?? NSNull()
        return try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
    }
}

import Foundation
import PhantomPrivacy

/// What Phantom records beside a diffusers model (`phantom.json`): the class
/// names in label order, the label used as "no class" for classifier-free
/// guidance, the bit depth of the training images and, for a DP-SGD model, its
/// (ε, δ) guarantee.
public struct ModelInfo: Equatable, Sendable {
    public static let fileName = "phantom.json"

    public var classNames: [String]
    /// The class-embedding index trained as "unconditional" (label dropout), if any.
    public var nullClass: Int?
    /// 8 or 16: the bit depth samples are written in by default.
    public var bitDepth: Int
    /// The images' resolution during training.
    public var resolution: Int?
    /// The classifier-free guidance scale the model is best sampled with (`"guidance_scale"`), if measured.
    public var guidanceScale: Double?
    /// The noise levels σ classifier-free guidance is limited to (`"guidance_interval": [low,
    /// high]`), if measured; nil: every step (see ``Guidance``).
    public var guidanceInterval: ClosedRange<Double>?
    /// The noise levels σ autoguidance is limited to (`"guide_interval": [low, high]`), if
    /// measured; nil: every step.
    public var guideInterval: ClosedRange<Double>?
    /// A weaker model folder to autoguide with (`"guide"`), relative to the model's folder.
    public var guide: String?
    /// The autoguidance scale the model is best sampled with (`"guide_scale"`), if measured.
    public var guideScale: Double?

    /// The guidance to sample with: `scale`, `guideScale`, `interval` and `guideInterval` where
    /// the user names them, else the model's ``guidanceScale`` (else 1, plain conditional
    /// sampling), ``guideScale`` (else 2) when a guide model is used (`guideUsed`; else 1),
    /// ``guidanceInterval`` and ``guideInterval`` (else every step).
    public func samplingGuidance(scale: Float? = nil, guideScale userGuideScale: Float? = nil, guideUsed: Bool = false,
                                 interval: GuidanceInterval? = nil, guideInterval userGuideInterval: GuidanceInterval? = nil) -> Guidance {
        func sigmas(_ ends: ClosedRange<Double>?) -> ClosedRange<Float>? { ends.map { Float($0.lowerBound)...Float($0.upperBound) } }
        return Guidance(scale: scale ?? Float(guidanceScale ?? 1),
                        guideScale: guideUsed ? userGuideScale ?? Float(guideScale ?? 2) : 1,
                        sigmas: interval.map(\.sigmas) ?? sigmas(guidanceInterval),
                        guideSigmas: userGuideInterval.map(\.sigmas) ?? sigmas(guideInterval))
    }

    /// The guide model folder to sample `modelFolder` with: `option` as the user gives it (a
    /// folder, or `none` for no autoguidance), else the model's own ``guide`` inside its folder,
    /// else none.
    public func guideFolder(option: String?, modelFolder: URL) -> URL? {
        guidePath(option: option, model: modelFolder.path).map { URL(fileURLWithPath: $0) }
    }

    /// ``guideFolder(option:modelFolder:)`` as the user would write it: `option`, or the
    /// model folder `model` (as given) joined with ``guide``; nil without a guide.
    public func guidePath(option: String?, model: String) -> String? {
        switch option {
        case "none": return nil
        case let path?: return path
        case nil: return guide.map { "\(model)/\($0)" }
        }
    }
    /// The differential-privacy guarantee of the weights (`"privacy"`), nil for a model trained without DP-SGD.
    public var privacy: DPSGDGuarantee?

    public init(classNames: [String], nullClass: Int?, bitDepth: Int, resolution: Int? = nil, privacy: DPSGDGuarantee? = nil) {
        self.classNames = classNames
        self.nullClass = nullClass
        self.bitDepth = bitDepth
        self.resolution = resolution
        self.privacy = privacy
    }

    init(json data: Data, source: String) throws(ModelError) {
        let object = try JSONObject(data: data, source: source)
        classNames = try object.strings("class_names", default: [])
        nullClass = try object.optionalInt("null_class")
        bitDepth = try object.int("bit_depth", default: 8)
        resolution = try object.optionalInt("resolution")
        guidanceScale = object.isNull("guidance_scale") ? nil : try object.double("guidance_scale")
        guidanceInterval = try Self.interval("guidance_interval", in: object)
        guideInterval = try Self.interval("guide_interval", in: object)
        guide = object.isNull("guide") ? nil : try object.string("guide")
        guideScale = object.isNull("guide_scale") ? nil : try object.double("guide_scale")
        if let guide, guide.isEmpty || guide.hasPrefix("/") || guide.split(separator: "/").contains("..") {
            throw object.fail("guide", "expected a folder inside the model's folder, e.g. \"guide\"")
        }
        if object.isNull("privacy") {
            privacy = nil
        } else {
            guard let values = object.values["privacy"] as? [String: Any], let guarantee = DPSGDGuarantee(jsonObject: values) else {
                throw object.fail("privacy", "expected the object of a DP-SGD guarantee")
            }
            privacy = guarantee
        }
        guard bitDepth == 8 || bitDepth == 16 else {
            throw ModelError(path: source, reason: "\"bit_depth\" = \(bitDepth): must be 8 or 16")
        }
    }

    /// A `[low, high]` noise-level interval under `key`, nil when absent or null.
    private static func interval(_ key: String, in object: JSONObject) throws(ModelError) -> ClosedRange<Double>? {
        guard !object.isNull(key) else { return nil }
        let ends = try object.doubles(key)
        guard ends.count == 2, ends[0] >= 0, ends[0] <= ends[1], ends[1].isFinite else {
            throw object.fail(key, "expected [low, high] noise levels σ with 0 <= low <= high")
        }
        return ends[0]...ends[1]
    }

    func jsonData() throws -> Data {
        var object: [String: Any] = ["class_names": classNames, "bit_depth": bitDepth]
        object["null_class"] = nullClass ?? NSNull()
        object["resolution"] = resolution ?? NSNull()
        if let privacy { object["privacy"] = privacy.jsonObject }
        if let guidanceScale { object["guidance_scale"] = guidanceScale }
        if let guide { object["guide"] = guide }
        if let guideScale { object["guide_scale"] = guideScale }
        if let guidanceInterval { object["guidance_interval"] = [guidanceInterval.lowerBound, guidanceInterval.upperBound] }
        if let guideInterval { object["guide_interval"] = [guideInterval.lowerBound, guideInterval.upperBound] }
        return try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
    }
}

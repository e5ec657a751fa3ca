import CDICOM
import Foundation
import PhantomSafetensors

/// The identity and provenance stamped on a synthetic image written as DICOM, so that a
/// PACS shows it as synthetic and nobody mistakes it for a patient's scan.
public struct SyntheticImageIdentity: Sendable, Hashable {
    /// DICOM UIDs (digits and dots, at most 64 characters).
    public var studyUID: String, seriesUID: String, instanceUID: String
    public var seriesNumber: Int, instanceNumber: Int
    /// Series Description, e.g. `SYNTHETIC ct_axial (Phantom)`.
    public var seriesDescription: String
    /// Derivation Description and Image Comments: the model's SHA-256, the seed, the noise index.
    public var derivation: String

    /// The identity of image `number` of class `className` in a sampling run, with UIDs
    /// derived from `runKey` (whatever fixes the run's images: model hash, seed, sampler): the
    /// study is the run, the series its class, the instance the image and its `derivation`
    /// (so a re-drawn image gets a UID of its own). The same run gives the same UIDs — whether
    /// sharded, split over processes or repeated — and any other run other ones.
    ///
    /// - Parameters:
    ///   - seriesNumber: the class's position, from 1.
    ///   - number: the image's number within its class, from 0 (Instance Number is number + 1).
    public init(runKey: String, className: String, seriesNumber: Int, number: Int, derivation: String) {
        let series = "\(runKey)\u{1F}\(className)"
        self.init(studyUID: Self.uid(runKey), seriesUID: Self.uid(series), instanceUID: Self.uid("\(series)\u{1F}\(number)\u{1F}\(derivation)"),
                  seriesNumber: seriesNumber, instanceNumber: number + 1,
                  seriesDescription: "SYNTHETIC \(className.isEmpty ? "images" : className) (Phantom)",
                  derivation: derivation)
    }

    /// The identity of one image of a sampling run, as `phantom sample --format dicom` writes it:
    /// the run key is the model (its SHA-256, else `modelName`), the seed and the sampler; the
    /// derivation names the model hash, the image's own seed (a re-drawn image has another),
    /// its noise index, the sampler and the guidance, with the autoguidance when there is one.
    ///
    /// - Parameters:
    ///   - guidance: the classifier-free guidance scale.
    ///   - autoguidance: the autoguidance (scale, interval and guide model), nil without it; a
    ///     run with it is another run (other study and series UIDs) than one without.
    ///   - guidanceInterval: the noise levels σ classifier-free guidance was limited to, nil
    ///     for every step; a run with an interval is another run than one without. (Written as
    ///     "sigma": the files declare no character set, so their text is ASCII.)
    ///   - label: the class-embedding index (the series is label + 1), nil for an unconditional model.
    ///   - number: the image's number within its class.
    public init(sampledFrom modelName: String, modelSHA256: String?, seed: UInt64, imageSeed: UInt64, sampler: String,
                steps: Int, eta: Float, guidance: Float, autoguidance: String? = nil,
                guidanceInterval: ClosedRange<Float>? = nil,
                className: String, label: Int?, number: Int, noiseIndex: Int) {
        let autoguided = autoguidance.map { ", autoguidance \($0)" } ?? ""
        let interval = guidanceInterval.map { "at sigma \($0.lowerBound) to \($0.upperBound)" }
        let runKey = "\(modelSHA256 ?? modelName)|seed \(seed)|\(sampler) \(steps) steps eta \(eta)|guidance \(guidance)"
            + (autoguidance.map { "|autoguidance \($0)" } ?? "") + (interval.map { "|\($0)" } ?? "")
        let derivation = "Synthetic image sampled by Phantom from model sha256 \(modelSHA256 ?? "unknown"), "
            + "seed \(imageSeed), noise index \(noiseIndex), \(sampler) \(steps) steps, "
            + "guidance \(guidance)\(autoguided)\(interval.map { ", guided \($0)" } ?? ""); not an image of a patient"
        self.init(runKey: runKey, className: className, seriesNumber: (label ?? 0) + 1, number: number, derivation: derivation)
    }

    /// A UID under the `2.25` root (ISO/IEC 9834-8: a UUID written as one decimal number), the
    /// UUID being a version-8 (name-based, RFC 9562) one made of the first 128 bits of SHA-256(`key`).
    public static func uid(_ key: String) -> String {
        let digest = SHA256.hex(Data(key.utf8))
        var bytes = stride(from: 0, to: 32, by: 2).map { UInt8(digest.dropFirst($0).prefix(2), radix: 16)! }
        bytes[6] = (bytes[6] & 0x0F) | 0x80   // version 8
        bytes[8] = (bytes[8] & 0x3F) | 0x80   // RFC 9562 variant
        let value = bytes.reduce(UInt128(0)) { $0 << 8 | UInt128($1) }
        return "2.25.\(value)"
    }

    public init(studyUID: String, seriesUID: String, instanceUID: String, seriesNumber: Int, instanceNumber: Int,
                seriesDescription: String, derivation: String) {
        self.studyUID = studyUID
        self.seriesUID = seriesUID
        self.instanceUID = instanceUID
        self.seriesNumber = seriesNumber
        self.instanceNumber = instanceNumber
        self.seriesDescription = seriesDescription
        self.derivation = derivation
    }
}

/// Writes synthetic images as DICOM Secondary Capture objects through DCMTK.
///
/// Each file says what it is: SOP class Secondary Capture Image Storage, Conversion Type
/// `SYN` (synthetic image, PS3.3 C.8.6.1), Image Type `DERIVED\SECONDARY`, Patient Identity
/// Removed `YES`, patient name `SYNTHETIC^PHANTOM` with every other patient element empty,
/// and the ``SyntheticImageIdentity`` (UIDs, series, provenance with the model's SHA-256).
/// Burned In Annotation is `NO`: nothing is drawn into the pixels, which stay the model's.
public enum DICOMEncoder {
    /// Writes `image` (8- or 16-bit, MONOCHROME2) to `path`, replacing any existing file.
    ///
    /// - Throws: ``ImagingError/Kind/writeFailed`` naming `path`.
    public static func write(_ image: GrayImage, identity: SyntheticImageIdentity, softwareVersion: String,
                             to path: String) throws(ImagingError) {
        var message = [CChar](repeating: 0, count: 256)
        let status: Int32 = identity.studyUID.withCString { study in
            identity.seriesUID.withCString { series in
                identity.instanceUID.withCString { instance in
                    identity.seriesDescription.withCString { description in
                        identity.derivation.withCString { derivation in
                            softwareVersion.withCString { software in
                                var fields = phantom_dicom_synthetic(
                                    study_uid: study, series_uid: series, instance_uid: instance,
                                    series_number: Int32(clamping: identity.seriesNumber),
                                    instance_number: Int32(clamping: identity.instanceNumber),
                                    series_description: description, derivation: derivation, software_version: software)
                                return write(image, fields: &fields, path: path, message: &message)
                            }
                        }
                    }
                }
            }
        }
        guard status == 0 else {
            throw ImagingError(.writeFailed, path: path,
                               reason: String(decoding: message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
    }

    private static func write(_ image: GrayImage, fields: inout phantom_dicom_synthetic, path: String,
                              message: inout [CChar]) -> Int32 {
        let columns = Int32(clamping: image.width), rows = Int32(clamping: image.height)
        switch image.samples {
        case .uint8(let samples):
            return samples.withUnsafeBytes {
                phantom_dicom_write_synthetic(path, $0.baseAddress, columns, rows, 8, &fields, &message, message.count)
            }
        case .uint16(let samples):
            return samples.withUnsafeBytes {
                phantom_dicom_write_synthetic(path, $0.baseAddress, columns, rows, 16, &fields, &message, message.count)
            }
        }
    }
}

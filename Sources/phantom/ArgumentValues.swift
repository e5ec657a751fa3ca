import ArgumentParser
import PhantomDiffusion

// The enumerations the command line takes. Each lists its values, with what they mean,
// in --help. The spellings are the ones existing scripts use: keep them.

/// An enumeration whose values `--help` lists one per line with a short description
/// (each type's `allValueDescriptions` returns ``describedValues``).
protocol DescribedArgument: CaseIterable, RawRepresentable<String>, ExpressibleByArgument {
    /// What the value means, for `--help`.
    var argumentHelp: String { get }
}

extension DescribedArgument {
    /// Every value as typed, with its ``argumentHelp``.
    static var describedValues: [String: String] {
        Dictionary(uniqueKeysWithValues: allCases.map { ($0.rawValue, $0.argumentHelp) })
    }
}

/// `phantom sample --scheduler`: the sampler, by its short name.
enum SchedulerChoice: String, DescribedArgument {
    case dpmpp, ddim, ddpm

    /// The diffusers scheduler class that samples this way.
    var kind: SchedulerConfig.Kind {
        switch self {
        case .dpmpp: return .dpmSolverMultistep
        case .ddim: return .ddim
        case .ddpm: return .ddpm
        }
    }

    static var allValueDescriptions: [String: String] { describedValues }

    var argumentHelp: String {
        switch self {
        case .dpmpp: return "DPM-Solver++ 2M (Lu et al. 2022); 25 steps by default"
        case .ddim: return "DDIM (Song et al. 2021); 50 steps by default"
        case .ddpm: return "ancestral DDPM (Ho et al. 2020); every training timestep by default"
        }
    }
}

extension UNetConfig.Preset: ExpressibleByArgument, DescribedArgument {
    public static var allValueDescriptions: [String: String] { describedValues }

    var argumentHelp: String {
        switch self {
        case .tiny: return "channels 32, 64, 64; 1 layer per block; side 32; 1.1 M parameters"
        case .small: return "channels 64, 128, 128, 256; 2 layers per block; side 64; 17 M parameters"
        case .cifar: return "channels 128, 256, 256, 256; 2 layers per block; side 32; 36 M parameters"
        }
    }
}

extension TrainingOptions.Schedule: ExpressibleByArgument, DescribedArgument {
    public static var allValueDescriptions: [String: String] { describedValues }

    var argumentHelp: String {
        switch self {
        case .cosine: return "half a cosine from --lr down to 0 at the last step"
        case .constant: return "--lr throughout"
        }
    }
}

extension PredictionType: ExpressibleByArgument, DescribedArgument {
    public static var allValueDescriptions: [String: String] { describedValues }

    var argumentHelp: String {
        switch self {
        case .epsilon: return "the noise ε that was added"
        case .vPrediction: return "the velocity v = √ᾱ·ε − √(1−ᾱ)·x₀ (Salimans & Ho 2022)"
        case .sample: return "the clean image x₀"
        }
    }
}

extension SampleFileFormat: ExpressibleByArgument, DescribedArgument {
    public static var allValueDescriptions: [String: String] { describedValues }

    var argumentHelp: String {
        switch self {
        case .png: return "PNG files, <class>/<class>-<n>.png (8 or 16 bits)"
        case .dicom: return "DICOM Secondary Capture files, <class>/<class>-<n>.dcm, marked synthetic (Conversion Type SYN, no patient data)"
        }
    }
}

extension GuidanceInterval: ExpressibleByArgument {
    public init?(argument: String) { self.init(argument) }
}

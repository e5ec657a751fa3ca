import ArgumentParser
import Foundation
import PhantomDiffusion

/// `phantom blend BASE TUNED --weight W --out OUT`: a fine-tuned model's weights blended
/// back toward the model it started from.
struct BlendCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "blend",
        abstract: "Blend a fine-tuned model's U-Net weights with those of the model it started from.",
        discussion: """
            Writes OUT: a copy of TUNED (scheduler, phantom.json, guide model, other files) whose \
            U-Net weights are (1 − W)·BASE + W·TUNED, parameter by parameter (WiSE-FT, Wortsman \
            et al. 2022). A blend keeps much of what a fine-tune (`phantom train --init-from BASE`) \
            learnt while staying nearer the base model; check its samples with `phantom evaluate` \
            and `phantom audit` before using it. BASE and TUNED need the same U-Net configuration.
            """
    )

    @Argument(help: "The model the fine-tune started from.") var base: String
    @Argument(help: "The fine-tuned model.") var tuned: String
    @Option(help: "The tuned model's share of each weight, 0…1 (0 gives BASE's weights, 1 TUNED's).") var weight: Double
    @Option(help: "Where to write the blended model folder (replaced if it exists).") var out: String

    func run() throws {
        do {
            try ModelBlend.write(base: URL(fileURLWithPath: base), tuned: URL(fileURLWithPath: tuned), weight: weight,
                                 to: URL(fileURLWithPath: out))
        } catch {
            Terminal.error("\(error)")
            throw ExitCode.failure
        }
        Terminal.say("wrote \(out): \(tuned) with U-Net weights \(1 - weight)·\(base) + \(weight)·\(tuned)")
    }
}

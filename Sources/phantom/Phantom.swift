import ArgumentParser

/// The `phantom` command: trains, samples and audits diffusion models of grayscale scans.
@main
struct Phantom: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "phantom",
        abstract: "Train, sample, audit and evaluate diffusion models of grayscale medical scans.",
        discussion: """
            In the order of a project: check the images (phantom dataset DATA), train \
            (phantom train DATA --out RUN), sample (phantom sample RUN/model --out SYNTHETIC), \
            look for copies of training scans (phantom audit --train DATA --samples SYNTHETIC) \
            and measure the samples (phantom evaluate --real TEST --samples SYNTHETIC --train DATA). \
            phantom forward runs the U-Net once, for checking it against PyTorch. Every command \
            but dataset takes --threads N (default: all cores); bad input prints \
            "error: <file>: <reason>" and exits non-zero.
            """,
        subcommands: [DatasetCommand.self, TrainCommand.self, SampleCommand.self, AuditCommand.self,
                      EvaluateCommand.self, ForwardCommand.self, BlendCommand.self]
    )
}

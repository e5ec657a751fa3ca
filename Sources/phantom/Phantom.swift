import ArgumentParser

/// The `phantom` command: trains, samples and audits diffusion models of grayscale scans.
@main
struct Phantom: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "phantom",
        abstract: "Train, sample, audit and evaluate diffusion models of grayscale medical scans.",
        subcommands: [DatasetCommand.self, TrainCommand.self, ForwardCommand.self, SampleCommand.self, AuditCommand.self,
                      EvaluateCommand.self]
    )
}

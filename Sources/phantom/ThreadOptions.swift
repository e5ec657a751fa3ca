import ArgumentParser
import PhantomTensor

/// `--threads N`, shared by every command that computes (as an `@OptionGroup`): the
/// number of workers ``Parallel`` spreads the kernels over.
struct ThreadOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Worker threads (default: all cores).", valueName: "n")) var threads: Int?

    func validate() throws {
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1, got \(threads)") }
    }

    /// Sets ``Parallel``'s worker count to `threads`, or to the number of cores when not given.
    func apply() {
        Parallel.configure(threads: threads)
    }
}

import ArgumentParser
import PhantomTensor

/// `--threads N` and `--gemm LIBRARY`, shared by every command that computes (as an
/// `@OptionGroup`): the number of workers ``Parallel`` spreads the kernels over, and
/// the library that computes their matrix products.
struct ThreadOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Worker threads (default: all cores).", valueName: "n")) var threads: Int?
    @Option(help: ArgumentHelp("The matrix-product library: auto (OpenBLAS, or oneDNN where OpenBLAS does not know this CPU), openblas or onednn.",
                               valueName: "library"))
    var gemm = GemmBackend.Selection.auto

    func validate() throws {
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1, got \(threads)") }
    }

    /// Sets ``Parallel``'s worker count to `threads` (or the number of cores) and ``GemmBackend``'s library.
    func apply() {
        Parallel.configure(threads: threads)
        GemmBackend.select(gemm)
    }
}

extension GemmBackend.Selection: ExpressibleByArgument {}

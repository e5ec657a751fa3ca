import Foundation
import PhantomTensor

/// How this process was started: alone, or as one rank of an MPI job.
public enum JobLaunch {
    /// Environment variables that MPI launchers set in every process they start: Open MPI's
    /// `mpirun`, PMIx (Slurm's `srun --mpi=pmix`), and PMI-1/2 launchers.
    public static let launcherVariables = ["OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_RANK", "PMI_SIZE"]

    /// Whether an MPI launcher started this process. A process started by hand never
    /// initialises MPI, so the single-process tool needs no `mpirun`.
    public static func isMPIJob(environment: [String: String] = ProcessInfo.processInfo.environment) -> Bool {
        launcherVariables.contains { environment[$0] != nil }
    }

    /// The job this process belongs to: an ``MPIProcessGroup`` under an MPI launcher,
    /// otherwise a ``SingleProcess``.
    public static func processGroup(environment: [String: String] = ProcessInfo.processInfo.environment) -> ProcessGroup {
        isMPIJob(environment: environment) ? MPIProcessGroup() : SingleProcess()
    }

    /// Ends the job after success: finalises MPI if it was initialised.
    public static func finish(_ group: ProcessGroup) {
        (group as? MPIProcessGroup)?.finish()
    }

    /// Ends the job after a failure on this process: under MPI, every process stops at
    /// once with `code`; alone, nothing to do (the caller exits).
    public static func abortIfParallel(_ group: ProcessGroup, code: Int32) {
        if let mpi = group as? MPIProcessGroup, mpi.size > 1 { mpi.abort(code: code) }
    }
}

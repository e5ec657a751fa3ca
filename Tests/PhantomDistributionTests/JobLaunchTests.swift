import PhantomDistribution
import PhantomTensor
import Testing

@Suite struct JobLaunchTests {
    /// Started by hand, the tool never initialises MPI (it needs no mpirun); started by
    /// Open MPI's mpirun or by Slurm's srun, it joins the job.
    @Test func onlyALauncherMakesAnMPIJob() {
        #expect(!JobLaunch.isMPIJob(environment: ["PATH": "/usr/bin", "OMPI_MCA_btl": "self"]))
        #expect(JobLaunch.isMPIJob(environment: ["OMPI_COMM_WORLD_SIZE": "2"]))
        #expect(JobLaunch.isMPIJob(environment: ["PMIX_RANK": "0"]))
        #expect(JobLaunch.isMPIJob(environment: ["PMI_RANK": "3"]))
        #expect(JobLaunch.processGroup(environment: [:]) is SingleProcess)
    }
}

import PhantomDiffusion

extension TrainingJob.Request {
    /// A run small enough for a unit test: the `tiny` preset on `side`×`side` images, `steps`
    /// steps of batch 2 after one warm-up step, logged and checkpointed at every step.
    public static func tinyTestRun(data: String, out: String, side: Int = 8, steps: Int = 2) -> TrainingJob.Request {
        var request = TrainingJob.Request(data: data, out: out)
        request.model = .preset(.tiny)
        request.resolution = side
        request.options.steps = steps
        request.options.batchSize = 2
        request.options.warmupSteps = 1
        request.plan.logEvery = 1
        request.plan.checkpointEvery = 1
        return request
    }
}

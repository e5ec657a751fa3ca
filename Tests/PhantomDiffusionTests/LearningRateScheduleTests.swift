import Foundation
import PhantomDiffusion
import Testing

/// ``TrainingOptions/learningRate(afterSteps:)``: linear warm-up from 0, then half a
/// cosine down to 0 at the last step, or the base rate throughout.
@Suite struct LearningRateScheduleTests {
    static func options(_ schedule: TrainingOptions.Schedule, warmup: Int = 10, steps: Int = 110) -> TrainingOptions {
        var options = TrainingOptions()
        options.learningRate = 2e-3
        options.warmupSteps = warmup
        options.steps = steps
        options.schedule = schedule
        return options
    }

    @Test(arguments: TrainingOptions.Schedule.allCases)
    func warmUpRisesLinearlyFromZeroToTheBaseRate(schedule: TrainingOptions.Schedule) {
        let options = Self.options(schedule)
        #expect(options.learningRate(afterSteps: 0) == 0)
        for step in 1..<10 {
            let expected = 2e-3 * Double(step) / 10
            #expect(abs(options.learningRate(afterSteps: step) - expected) <= 1e-15, "step \(step)")
        }
        #expect(options.learningRate(afterSteps: 10) == 2e-3)
    }

    @Test func cosineFallsFromTheBaseRateToZeroAtTheLastStep() {
        let options = Self.options(.cosine)
        let rates = (10...110).map { options.learningRate(afterSteps: $0) }
        #expect(rates.first == 2e-3)
        // Halfway through the 100 steps after warm-up: cos(π/2) = 0, half the base rate.
        #expect(abs(options.learningRate(afterSteps: 60) - 1e-3) <= 1e-15)
        // A quarter of the way: (1 + cos(π/4)) / 2 of the base rate.
        #expect(abs(options.learningRate(afterSteps: 35) - 2e-3 * (1 + cos(Double.pi / 4)) / 2) <= 1e-15)
        #expect(zip(rates, rates.dropFirst()).allSatisfy { $0 > $1 }, "strictly falling after warm-up")
        #expect(options.learningRate(afterSteps: 109) > 0, "the last update still moves the weights")
        #expect(options.learningRate(afterSteps: 110) == 0)
    }

    @Test func constantKeepsTheBaseRateAfterWarmUp() {
        let options = Self.options(.constant)
        for step in 10...110 { #expect(options.learningRate(afterSteps: step) == 2e-3, "step \(step)") }
    }

    @Test(arguments: TrainingOptions.Schedule.allCases)
    func withoutWarmUpTheFirstStepUsesTheBaseRate(schedule: TrainingOptions.Schedule) {
        #expect(Self.options(schedule, warmup: 0).learningRate(afterSteps: 0) == 2e-3)
    }
}

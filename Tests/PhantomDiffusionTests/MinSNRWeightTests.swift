import Foundation
import PhantomDiffusion
import PhantomLayers
import PhantomTensor
import PhantomTestSupport
import Testing

/// Min-SNR-γ loss weights against diffusers' `compute_snr` (`Tests/Fixtures/make_snr_fixtures.py`).
@Suite struct MinSNRWeightTests {
    struct Case {
        let schedule: NoiseSchedule
        let gamma: Float
        let label: String
        let timesteps: [Int]
        let snr: [Double]
        let weights: [Double]
    }

    static func cases() throws -> [Case] {
        let data = try Data(contentsOf: Fixtures.url("training/min_snr.json"))
        let root = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let items = try #require(root["cases"] as? [[String: Any]])
        return try items.map { item in
            let betas = try #require(BetaSchedule(rawValue: item["beta_schedule"] as? String ?? ""))
            let prediction = try #require(PredictionType(rawValue: item["prediction_type"] as? String ?? ""))
            let gamma = try #require(item["gamma"] as? Double)
            return Case(schedule: NoiseSchedule(betaSchedule: betas, predictionType: prediction),
                        gamma: Float(gamma), label: "\(betas.rawValue) \(prediction.rawValue) γ=\(gamma)",
                        timesteps: try #require(item["timesteps"] as? [Int]),
                        snr: try #require(item["snr"] as? [Double]),
                        weights: try #require(item["weights"] as? [Double]))
        }
    }

    @Test func weightsMatchDiffusers() throws {
        let cases = try Self.cases()
        #expect(cases.count == 18)
        for item in cases {
            for (index, timestep) in item.timesteps.enumerated() {
                let snr = Double(item.schedule.signalToNoiseRatio(at: timestep))
                let weight = Double(item.schedule.minSNRWeight(at: timestep, gamma: item.gamma))
                #expect(abs(snr / item.snr[index] - 1) < 1e-6, "\(item.label) t=\(timestep): SNR \(snr) vs \(item.snr[index])")
                #expect(abs(weight / item.weights[index] - 1) < 1e-6,
                        "\(item.label) t=\(timestep): weight \(weight) vs \(item.weights[index])")
            }
        }
    }

    /// The weighted loss is the mean over images of w_b · MSE_b, and its gradient the
    /// finite difference of that loss.
    @Test func weightedLossAndGradient() {
        let prediction = Tensor(shape: [3, 1, 2, 2], values: (0..<12).map { Float($0) * 0.1 - 0.4 })
        let target = Tensor(shape: [3, 1, 2, 2], values: (0..<12).map { Float(($0 * 7) % 5) * 0.2 - 0.3 })
        let weights = [0.5, 2.0, 0.0]
        let gradient = Tensor(zeros: prediction.shape)
        let loss = MeanSquaredError.lossAndGradient(prediction: prediction, target: target, imageWeights: weights,
                                                    gradient: gradient)
        var expected = 0.0
        for image in 0..<3 {
            let sum = (0..<4).reduce(0.0) { partial, i in
                let d = Double(prediction.data[image * 4 + i] - target.data[image * 4 + i])
                return partial + d * d
            }
            expected += weights[image] * sum / 4
        }
        #expect(abs(loss - expected / 3) < 1e-6)
        let scratch = Tensor(zeros: prediction.shape)
        for i in 0..<12 {
            let original = prediction.data[i], h: Float = 1e-2
            prediction.data[i] = original + h
            let up = MeanSquaredError.lossAndGradient(prediction: prediction, target: target, imageWeights: weights, gradient: scratch)
            prediction.data[i] = original - h
            let down = MeanSquaredError.lossAndGradient(prediction: prediction, target: target, imageWeights: weights, gradient: scratch)
            prediction.data[i] = original
            #expect(abs((up - down) / Double(2 * h) - Double(gradient.data[i])) < 1e-4, "element \(i)")
        }
        #expect((8..<12).allSatisfy { gradient.data[$0] == 0 }, "a zero-weight image gets no gradient")
    }
}

import Foundation
@testable import PhantomDiffusion
import PhantomPrivacy
import PhantomTensor
import Testing

/// One process of a pretend data-parallel job: its collectives return their input, so a
/// trainer on it computes this process's share of a step and nothing more. The shares of
/// all ranks, added up here, must be what one process computes for the whole batch.
private final class LoneRank: ProcessGroup {
    let rank: Int, size: Int
    private(set) var reductions = 0
    init(rank: Int, size: Int) { self.rank = rank; self.size = size }
    func allReduceSum(_ buffer: UnsafeMutablePointer<Float>, count: Int) { reductions += 1 }
    func allReduceSum(_ values: [Double]) -> [Double] { values }
    func allGather(_ value: UInt64) -> [UInt64] { Array(repeating: value, count: size) }
    func gather(_ bytes: [UInt8]) -> [[UInt8]] { [bytes] }
    func barrier() {}
}

@Suite(.serialized) struct DataParallelTests {
    /// The trainer of the DP-SGD tests (no global clipping, which would rewrite the gradients
    /// these tests read) as one process of `group`.
    static func trainer(group: ProcessGroup, batchSize: Int, privacy: DPSGDOptions? = nil) throws -> Trainer {
        try PrivateTrainingTests.makeTrainer(batchSize: batchSize, privacy: privacy, group: group)
    }

    static func gradients(_ trainer: Trainer) -> [Float] {
        trainer.unet.namedParameters.flatMap { $0.parameter.gradient.values }
    }

    @Test func sharesPartitionTheBatchInOrder() {
        for size in 1...5 {
            for count in [0, 1, 4, 7, 16] {
                let shares = (0..<size).map { LoneRank(rank: $0, size: size).share(of: count) }
                #expect(shares.flatMap { Array($0) } == Array(0..<count))
                #expect(shares.map(\.count).max()! - shares.map(\.count).min()! <= 1)
            }
        }
    }

    /// The ranks' gradients and losses, each scaled by its share of the batch (3 of 5 and 2
    /// of 5 images), add up to one process's over the whole batch.
    @Test func ranksSharesAddUpToTheWholeBatch() throws {
        let whole = try Self.trainer(group: SingleProcess(), batchSize: 5)
        let report = try whole.trainStep()
        let expected = Self.gradients(whole)
        var sum = [Float](repeating: 0, count: expected.count)
        var loss = 0.0
        for rank in 0..<2 {
            let group = LoneRank(rank: rank, size: 2)
            let part = try Self.trainer(group: group, batchSize: 5)
            loss += try part.trainStep().loss
            #expect(group.reductions == 1)
            for (i, g) in Self.gradients(part).enumerated() { sum[i] += g }
        }
        let scale = expected.map(abs).max()!
        let difference = zip(sum, expected).map { abs($0 - $1) }.max()! / scale
        #expect(difference < 1e-5)
        #expect(abs(loss - report.loss) / report.loss < 1e-6)
    }

    /// DP-SGD: each rank clips its share of the Poisson batch; the noise-free clipped sums
    /// of the ranks add up to one process's.
    @Test func privateStepSharesAddUpToTheWholeBatch() throws {
        let privacy = DPSGDOptions(noiseMultiplier: 0, maxGradNorm: 0.05, sampleRate: 0.8, noiseDraws: 2, delta: 1e-5)
        let whole = try Self.trainer(group: SingleProcess(), batchSize: 4, privacy: privacy)
        let report = try whole.trainStep()
        #expect((report.privateBatch?.images ?? 0) >= 2)
        let expected = Self.gradients(whole)
        var sum = [Float](repeating: 0, count: expected.count)
        for rank in 0..<2 {
            let part = try Self.trainer(group: LoneRank(rank: rank, size: 2), batchSize: 4, privacy: privacy)
            _ = try part.trainStep()
            for (i, g) in Self.gradients(part).enumerated() { sum[i] += g }
        }
        let scale = expected.map(abs).max()!
        #expect(zip(sum, expected).map { abs($0 - $1) }.max()! / scale < 1e-5)
    }

    @Test func aBatchSmallerThanTheJobIsRefused() {
        #expect(throws: TrainingError.self) { try Self.trainer(group: LoneRank(rank: 0, size: 3), batchSize: 2) }
    }

    /// Every item of a sampling plan lands in exactly one shard, and a shard of a shard is
    /// the interleaved share of the whole (what `--shard` under `mpirun` relies on).
    @Test func samplePlanShardsPartitionThePlan() {
        let plan = SamplePlan(classes: ["b", "a"], allClasses: ["a", "b"], conditional: true, perClass: [5, 3])
        #expect(plan.items.map(\.noiseIndex) == [1 << 20, 1 << 20 + 1, 1 << 20 + 2, 1 << 20 + 3, 1 << 20 + 4, 0, 1, 2])
        #expect(plan.items.first?.fileName == "b/b-000000.png")
        for count in 1...4 {
            let shards = (0..<count).map { plan.shard($0, of: count).items }
            #expect(shards.flatMap { $0 }.sorted { $0.noiseIndex < $1.noiseIndex }
                    == plan.items.sorted { $0.noiseIndex < $1.noiseIndex })
        }
        #expect(plan.shard(1, of: 2).shard(0, of: 2).items == plan.shard(1, of: 4).items)
    }
}

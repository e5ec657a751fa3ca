import PhantomTensor
import Testing

@Suite struct RandomStreamTests {
    /// Known-answer vectors of Philox4x32-10 from the Random123 distribution.
    @Test func philoxMatchesKnownAnswers() {
        let zero = RandomStream(seed: 0).block(0)
        #expect([zero.0, zero.1, zero.2, zero.3] == [0x6627_E8D5, 0xE169_C58D, 0xBC57_AC4C, 0x9B00_DBD8])
        let ones = RandomStream(seed: UInt64.max, .max, .max, .max).block(.max)
        #expect([ones.0, ones.1, ones.2, ones.3] == [0x408F_276D, 0x41C8_3B0E, 0xA20B_C7C6, 0x6D54_51FD])
        let pi = RandomStream(seed: 0x299F_31D0_A409_3822, 0x85A3_08D3, 0x1319_8A2E, 0x0370_7344)
            .block(0x243F_6A88)
        #expect([pi.0, pi.1, pi.2, pi.3] == [0xD16C_FE09, 0x94FD_CCEB, 0x5001_E420, 0x2412_6EA1])
    }

    @Test func gaussianHasUnitMomentsAndDependsOnlyOnIndex() {
        let count = 200_003
        let all = Tensor(zeros: [count])
        let stream = RandomStream(seed: 42, 7, 1, 2)
        stream.fillGaussian(all.data, count: count)
        let values = all.values
        let mean = values.reduce(0.0) { $0 + Double($1) } / Double(count)
        let variance = values.reduce(0.0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / Double(count)
        #expect(abs(mean) < 0.01)
        #expect(abs(variance - 1) < 0.02)
        // A shorter fill gives a prefix of the longer one: element j depends only on j.
        let prefix = Tensor(zeros: [10])
        stream.fillGaussian(prefix.data, count: 10)
        #expect(prefix.values == Array(values[0..<10]))
        // A different selector word gives different numbers.
        let other = Tensor(zeros: [10])
        RandomStream(seed: 42, 7, 1, 3).fillGaussian(other.data, count: 10)
        #expect(other.values != prefix.values)
    }

    @Test func uniformIsInUnitIntervalAndMatchesFill() {
        let stream = RandomStream(seed: 9)
        let filled = Tensor(zeros: [1001])
        stream.fillUniform(filled.data, count: 1001)
        #expect(filled.values.allSatisfy { $0 > 0 && $0 <= 1 })
        #expect((0..<1001).allSatisfy { stream.uniform($0) == filled.data[$0] })
        let mean = filled.values.reduce(0, +) / 1001
        #expect(abs(mean - 0.5) < 0.03)
    }
}

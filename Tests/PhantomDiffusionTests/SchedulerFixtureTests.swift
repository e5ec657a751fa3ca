import Foundation
import PhantomDiffusion
import PhantomTensor
import PhantomTestSupport
import Testing

/// One `Tests/Fixtures/schedulers/*.json` file (layout in `Tests/Fixtures/README.md`).
struct SchedulerFixture {
    let name: String
    let root: [String: Any]

    /// The fixture file names, without `.json`.
    static let names: [String] = {
        let folder = Fixtures.url("schedulers")
        let files = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        return files.filter { $0.hasSuffix(".json") }.map { String($0.dropLast(5)) }.sorted()
    }()

    static func names(prefix: String) -> [String] { names.filter { $0.hasPrefix(prefix) } }

    init(_ name: String) throws {
        self.name = name
        let data = try Data(contentsOf: Fixtures.url("schedulers/\(name).json"))
        root = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    var configDictionary: [String: Any] { root["config"] as? [String: Any] ?? [:] }

    func config() throws -> SchedulerConfig {
        try SchedulerConfig(dictionary: configDictionary, source: name)
    }

    subscript(key: String) -> Any? { root[key] }

    /// The fixture's tensors are all `[2, 1, 4, 4]`, stored flat.
    static func tensor(_ value: Any?) throws -> Tensor {
        Tensor(shape: [2, 1, 4, 4], values: try floats(value))
    }

    static func floats(_ value: Any?) throws -> [Float] {
        let numbers = try #require(value as? [NSNumber], "expected a list of numbers")
        return numbers.map { Float($0.doubleValue) }
    }

    static func ints(_ value: Any?) throws -> [Int] {
        try #require(value as? [NSNumber], "expected a list of integers").map(\.intValue)
    }

    /// Largest absolute difference relative to the expected values' magnitude (at least 1).
    static func error(_ actual: Tensor, _ expected: Tensor) -> Float {
        let scale = max(expected.values.map(abs).max() ?? 1, 1)
        return zip(actual.values, expected.values).map { abs($0 - $1) }.max()! / scale
    }

    /// The fixtures' fake model: `0.5 * sample + 0.1 * t / 1000`, the scalar computed in Double.
    static func fakeModel(_ sample: Tensor, _ timestep: Int) -> Tensor {
        let shift = Float(0.1 * Double(timestep) / 1000)
        return Tensor(shape: sample.shape, values: sample.values.map { 0.5 * $0 + shift })
    }
}

@Suite struct SchedulerFixtureTests {
    @Test func everyFixtureIsFound() {
        #expect(SchedulerFixture.names(prefix: "ddpm").count == 8)
        #expect(SchedulerFixture.names(prefix: "ddim").count == 5)
        #expect(SchedulerFixture.names(prefix: "dpmpp").count == 7)
    }

    @Test(arguments: SchedulerFixture.names)
    func fixtureConfigurationsAreAccepted(name: String) throws {
        let fixture = try SchedulerFixture(name)
        let config = try fixture.config()
        #expect(config.kind.rawValue == fixture["scheduler"] as? String)
        #expect(config.ignoredKeys.isEmpty, "\(config.ignoredKeys)")
        #expect(config.predictionType.rawValue == fixture.configDictionary["prediction_type"] as? String)
        #expect(config.timestepSpacing.rawValue == fixture.configDictionary["timestep_spacing"] as? String)
    }
}

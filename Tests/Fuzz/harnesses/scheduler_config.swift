// libFuzzer harness: SchedulerConfig(json:source:) on arbitrary bytes.
// Contract: any input is either accepted or rejected with a ModelError naming the
// source. An accepted configuration writes JSON that reads back to an equal
// configuration, converts to the other classes or fails cleanly, builds its noise
// schedule, and sets timesteps for a few counts or fails cleanly.
import Foundation
import PhantomDiffusion

private let verbose = ProcessInfo.processInfo.environment["FUZZ_VERBOSE"] != nil

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSchedulerConfig(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let config: SchedulerConfig
    do {
        config = try SchedulerConfig(json: Data(bytes: data, count: size), source: "fuzz.json")
    } catch {
        if verbose { print("rejected: \(error)") }
        precondition(error.path == "fuzz.json", "error does not name the file: \(error)")
        return 0
    }
    if verbose { print("accepted: \(config.kind) T=\(config.numTrainTimesteps)") }
    let written = config.jsonData()
    do {
        var reread = try SchedulerConfig(json: written, source: "rewritten.json")
        reread.ignoredKeys = config.ignoredKeys
        precondition(reread == config, "scheduler config does not read back equal:\n\(String(decoding: written, as: UTF8.self))")
    } catch {
        preconditionFailure("an accepted configuration wrote JSON it rejects: \(error)")
    }
    for kind in SchedulerConfig.Kind.allCases { _ = try? config.converted(to: kind) }
    let schedule = config.noiseSchedule
    precondition(schedule.trainTimesteps == config.numTrainTimesteps, "schedule length")
    let scheduler = config.makeScheduler(eta: 0.5)
    let last = size > 0 ? Int(data[size - 1]) : 0
    for count in [1, 2, 20, last, config.numTrainTimesteps, config.numTrainTimesteps + 1] {
        guard let timesteps = try? scheduler.setTimesteps(count) else { continue }
        precondition(timesteps.count == count, "asked for \(count) timesteps, got \(timesteps.count)")
        precondition(timesteps.allSatisfy { (0..<config.numTrainTimesteps).contains($0) },
                     "timestep outside the training range: \(timesteps)")
    }
    return 0
}

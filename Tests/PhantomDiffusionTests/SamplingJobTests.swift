import Foundation
import PhantomSafetensors
import Testing
@testable import PhantomDiffusion

/// ``SamplingJob``: a whole `phantom sample` run in a folder, its split into shards and batches,
/// its manifest and its refusals.
@Suite struct SamplingJobTests {
    /// A temporary folder holding `model/` (two classes "a" and "b") with its own guide in `model/guide`.
    struct Workspace {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("sampling-job-\(UInt64.random(in: 0..<UInt64.max))")
        var model: String { root.appendingPathComponent("model").path }

        init(guided: Bool = false) throws {
            let plain = AutoGuidanceTests.folder(AutoGuidanceTests.model())
            var info = plain.info
            if guided { info.guide = "guide" }
            try ModelFolder(unet: plain.unet, schedulerConfig: plain.schedulerConfig, info: info)
                .write(to: URL(fileURLWithPath: model))
            if guided {
                try AutoGuidanceTests.folder(AutoGuidanceTests.model(seed: 9)).write(to: URL(fileURLWithPath: model + "/guide"))
            }
        }

        func request(_ out: String) -> SamplingJob.Request {
            var request = SamplingJob.Request(model: model, out: root.appendingPathComponent(out).path)
            request.perClass = 3
            request.steps = 2
            request.seed = 7
            return request
        }

        /// Every file under `out` but the manifests, by path relative to it.
        func images(_ out: String) throws -> [String: Data] {
            let folder = root.appendingPathComponent(out)
            var files: [String: Data] = [:]
            for case let path as String in FileManager.default.enumerator(atPath: folder.path)!
            where path.hasSuffix(".png") || path.hasSuffix(".dcm") {
                files[path] = try Data(contentsOf: folder.appendingPathComponent(path))
            }
            return files
        }

        func manifest(_ out: String, _ name: String = "manifest.json") throws -> [String: Any] {
            let data = try Data(contentsOf: root.appendingPathComponent(out).appendingPathComponent(name))
            return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        }

        func remove() { try? FileManager.default.removeItem(at: root) }
    }

    @Test func shardsAndBatchSizesWriteTheWholeRunsFiles() throws {
        let space = try Workspace()
        defer { space.remove() }
        let whole = try SamplingJob.run(space.request("whole"))
        #expect(whole == SamplingJob.Summary(written: 6, bitDepth: .eight, side: 8))
        let files = try space.images("whole")
        #expect(Set(files.keys) == Set(["a", "b"].flatMap { c in (0..<3).map { "\(c)/\(c)-00000\($0).png" } }))

        var oneByOne = space.request("batch1")
        oneByOne.batchSize = 1
        _ = try SamplingJob.run(oneByOne)
        #expect(try space.images("batch1") == files)

        var merged: [String: Data] = [:]
        var entries: [String] = []
        for index in 0..<2 {
            var part = space.request("shards")
            part.shard = SampleShard(index: index, count: 2)
            #expect(try SamplingJob.run(part).written == 3)
            let manifest = try space.manifest("shards", "manifest-shard-\(index)-of-2.json")
            #expect(manifest["shard"] as? String == "\(index)/2")
            entries += try #require(manifest["files"] as? [[String: Any]]).compactMap { $0["file"] as? String }
        }
        merged = try space.images("shards")
        #expect(merged == files)
        #expect(entries.sorted() == files.keys.sorted())
    }

    @Test func theManifestSaysHowTheImagesWereMade() throws {
        let space = try Workspace(guided: true)
        defer { space.remove() }
        var request = space.request("guided")
        request.count = 3
        request.perClass = nil
        _ = try SamplingJob.run(request)
        let manifest = try space.manifest("guided")
        #expect(manifest["model"] as? String == space.model)
        #expect(try manifest["model_sha256"] as? String == Self.fileSHA256(space.model + "/unet/diffusion_pytorch_model.safetensors"))
        #expect(manifest["guide_model"] as? String == space.model + "/guide")
        #expect(try manifest["guide_sha256"] as? String == Self.fileSHA256(space.model + "/guide/unet/diffusion_pytorch_model.safetensors"))
        #expect(manifest["guide_scale"] as? Double == 2)
        #expect(manifest["guide_interval"] is NSNull)
        #expect(manifest["scheduler"] as? String == "DPMSolverMultistepScheduler")
        #expect(manifest["steps"] as? Int == 2)
        #expect(manifest["seed"] as? String == "7")
        let files = try #require(manifest["files"] as? [[String: Any]])
        #expect(files.map { $0["file"] as? String } == ["a/a-000000.png", "a/a-000001.png", "b/b-000000.png"])
        #expect(files.map { $0["noise_index"] as? Int } == [0, 1, 1 << 20])
        #expect(SamplesManifest.read(folder: space.root.appendingPathComponent("guided").path)["guide_model"] == space.model + "/guide")

        request.guide = "none"
        request.out = space.root.appendingPathComponent("unguided").path
        _ = try SamplingJob.run(request)
        let unguided = try space.manifest("unguided")
        #expect(unguided["guide_model"] is NSNull)
        #expect(unguided["guide_scale"] is NSNull)
        #expect(try space.images("unguided") != space.images("guided"))
    }

    @Test func aSampleThatCopiesATrainingImageIsRedrawn() throws {
        let space = try Workspace()
        defer { space.remove() }
        _ = try SamplingJob.run(space.request("first"))
        let training = space.root.appendingPathComponent("train/a")
        try FileManager.default.createDirectory(at: training, withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: space.root.appendingPathComponent("first/b/b-000001.png"),
                                        to: training.appendingPathComponent("copy.png"))
        var screened = space.request("screened")
        screened.excludeMemorized = space.root.appendingPathComponent("train").path
        var events: [String] = []
        _ = try SamplingJob.run(screened) { event in
            if case let .redrawing(count, attempt) = event { events.append("\(count)@\(attempt)") }
        }
        #expect(events.first == "1@1")
        let seeds = try #require(try space.manifest("screened")["files"] as? [[String: Any]])
            .map { "\($0["file"]!) \($0["seed"]!)" }
        #expect(seeds.filter { !$0.hasSuffix(" 7") } .map { $0.split(separator: " ")[0] } == ["b/b-000001.png"])
        let before = try space.images("first"), after = try space.images("screened")
        #expect(after["b/b-000001.png"] != before["b/b-000001.png"])
        #expect(after.filter { $0.key != "b/b-000001.png" } == before.filter { $0.key != "b/b-000001.png" })
    }

    @Test func refusalsNameTheModel() throws {
        let space = try Workspace()
        defer { space.remove() }
        func reason(_ change: (inout SamplingJob.Request) -> Void) -> String? {
            var request = space.request("refused")
            change(&request)
            do { _ = try SamplingJob.run(request); return nil } catch {
                #expect(error.path == request.model)
                return error.reason
            }
        }
        #expect(reason { $0.classes = ["c"] }?.contains("no class \"c\"") == true)
        #expect(reason { $0.guideScale = 3 }?.contains("needs a guide model") == true)
        #expect(reason { $0.guideInterval = .sigmas(0...10) }?.contains("needs a guide model") == true)
        #expect(reason { $0.model = space.root.appendingPathComponent("missing").path } != nil)
        var gridOfAShard = space.request("refused")
        gridOfAShard.shard = SampleShard(index: 0, count: 2)
        gridOfAShard.grid = space.root.appendingPathComponent("grid.png").path
        #expect(throws: ModelError.self) { try SamplingJob.run(gridOfAShard) }
        #expect(!FileManager.default.fileExists(atPath: space.root.appendingPathComponent("refused").path))
    }

    /// The SHA-256 of a file's bytes, computed here.
    static func fileSHA256(_ path: String) throws -> String { SHA256.hex(try Data(contentsOf: URL(fileURLWithPath: path))) }
}

import Foundation
import PhantomSafetensors
import Testing

/// Writing and reading back, layout, conversions and file handling.
@Suite struct SafetensorsRoundTripTests {
    static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("phantom-safetensors-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    static var entries: [SafetensorsWriter.Entry] { [
        .float32("conv.weight", shape: [2, 1, 2], [1.5, -2, 0, .infinity]),
        .int64("class_labels", shape: [3], [0, -1, Int64.max]),
        .float32("empty", shape: [0, 4], []),
        .float32("scalar", shape: [], [0.25]),
    ] }

    static func checkContents(_ file: SafetensorsFile) throws {
        #expect(file.metadata == ["format": "pt", "note": "quote \" and\nnewline"])
        #expect(file.tensors.map(\.name) == ["class_labels", "conv.weight", "empty", "scalar"])
        let conv = try file.tensor(named: "conv.weight")
        #expect(conv.dtype == .float32)
        #expect(conv.shape == [2, 1, 2])
        #expect(try conv.floats() == [1.5, -2, 0, .infinity])
        let labels = try file.tensor(named: "class_labels")
        #expect(labels.dtype == .int64)
        #expect(try labels.int64s() == [0, -1, Int64.max])
        let empty = try file.tensor(named: "empty")
        #expect(empty.shape == [0, 4] && empty.elementCount == 0)
        #expect(try empty.floats() == [])
        let scalar = try file.tensor(named: "scalar")
        #expect(scalar.shape == [] && scalar.elementCount == 1)
        #expect(try scalar.floats() == [0.25])
    }

    static let metadata = ["note": "quote \" and\nnewline", "format": "pt"]

    @Test func roundTripsInMemory() throws {
        let data = try SafetensorsWriter.encode(Self.entries, metadata: Self.metadata)
        try Self.checkContents(try SafetensorsFile(data: data, path: "memory"))
    }

    @Test func roundTripsThroughAFileAtomically() throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = directory.appendingPathComponent("model.safetensors")
        try Data("old contents".utf8).write(to: url)
        try SafetensorsWriter.write(Self.entries, metadata: Self.metadata, to: url)
        try Self.checkContents(try SafetensorsFile(contentsOf: url))
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == ["model.safetensors"])
        #expect(try Data(contentsOf: url) == SafetensorsWriter.encode(Self.entries, metadata: Self.metadata))
    }

    @Test func writesTheReferenceLayout() throws {
        let data = try SafetensorsWriter.encode([
            .float32("b", shape: [1], [1]),
            .float32("a", shape: [2], [2, 3]),
            .int64("z", shape: [1], [4]),
        ], metadata: ["k": "v"])
        let length = data.prefix(8).enumerated().reduce(0) { $0 | Int($1.element) << ($1.offset * 8) }
        #expect(length % 8 == 0)
        let header = String(decoding: data[8..<8 + length], as: UTF8.self)
        let expected = "{\"__metadata__\":{\"k\":\"v\"},"
            + "\"z\":{\"dtype\":\"I64\",\"shape\":[1],\"data_offsets\":[0,8]},"
            + "\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,16]},"
            + "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[16,20]}}"
        #expect(header == expected + String(repeating: " ", count: length - expected.utf8.count))
        #expect(data.count == 8 + length + 20)
    }

    @Test func writesFromABufferWithoutCopying() throws {
        let values: [Float] = (0..<100_000).map { Float($0) * 0.5 }
        let data = try values.withUnsafeBufferPointer { buffer in
            try SafetensorsWriter.encode([.float32("big", shape: [1000, 100], buffer)])
        }
        #expect(try SafetensorsFile(data: data, path: "big").tensor(named: "big").floats() == values)
    }

    @Test func widensFloat16Exactly() throws {
        let bits: [UInt16] = [0x3C00, 0xC100, 0x7BFF, 0x0001, 0x03FF, 0x0400, 0x8000, 0x7C00, 0xFC00, 0x7E00, 0x3555]
        let file = try SafetensorsFile(data: Forge.file(
            header: Forge.header(dtype: "F16", shape: "[11]", offsets: "[0,22]"), data: Forge.bytes(bits)), path: "f16")
        let values = try file.tensor(named: "t").floats()
        #expect(Array(values[0..<6]) == [1.0, -2.5, 65504, 0x1p-24, 1023 * 0x1p-24, 0x1p-14])
        #expect(values[6] == 0 && values[6].sign == .minus)
        #expect(values[7] == .infinity && values[8] == -.infinity)
        #expect(values[9].isNaN)
        #expect(values[10] == 0x1.554p-2)  // 0.333251953125, the F16 nearest to 1/3
    }

    @Test func widensBFloat16Exactly() throws {
        let bits: [UInt16] = [0x3F80, 0xC020, 0x4780, 0x7F7F, 0x0001, 0x8000, 0x7F80, 0xFF80, 0x7FC0]
        let file = try SafetensorsFile(data: Forge.file(
            header: Forge.header(dtype: "BF16", shape: "[3,3]", offsets: "[0,18]"), data: Forge.bytes(bits)), path: "bf16")
        let values = try file.tensor(named: "t").floats()
        #expect(Array(values[0..<5]) == [1.0, -2.5, 65536, 0x1.FEp127, 0x1p-133])
        #expect(values[5] == 0 && values[5].sign == .minus)
        #expect(values[6] == .infinity && values[7] == -.infinity)
        #expect(values[8].isNaN)
    }

    @Test func convertsIntegers() throws {
        let i32 = try SafetensorsFile(data: Forge.file(
            header: Forge.header(dtype: "I32", shape: "[3]", offsets: "[0,12]"), data: Forge.bytes([Int32](arrayLiteral: 5, -7, .max))),
            path: "i32").tensor(named: "t")
        #expect(try i32.int32s() == [5, -7, .max])
        #expect(try i32.int64s() == [5, -7, Int64(Int32.max)])
        #expect(throws: SafetensorsError.self) { try i32.floats() }

        let i64 = try SafetensorsFile(data: Forge.file(
            header: Forge.header(dtype: "I64", shape: "[2]", offsets: "[0,16]"), data: Forge.bytes([Int64](arrayLiteral: -3, 1 << 40))),
            path: "i64").tensor(named: "t")
        #expect(try i64.int64s() == [-3, 1 << 40])
        #expect(throws: SafetensorsError(.unsupportedConversion, path: "i64",
                                         reason: "tensor \"t\" value 1099511627776 at index 1 does not fit in Int32")) {
            try i64.int32s()
        }
        #expect(throws: SafetensorsError(.unsupportedConversion, path: "i64",
                                         reason: "tensor \"t\" is I64; expected F32, F16 or BF16")) {
            try i64.floats()
        }
        let f32 = try SafetensorsFile(data: Forge.file(header: Forge.header(), data: Array(repeating: 0, count: 8)), path: "f").tensor(named: "t")
        #expect(throws: SafetensorsError.self) { try f32.int64s() }
        #expect(throws: SafetensorsError.self) { try f32.int32s() }
        f32.withUnsafeBytes { #expect($0.count == 8) }
    }

    @Test func copiesIntoCheckedDestinations() throws {
        let file = try SafetensorsFile(data: SafetensorsWriter.encode([.float32("w", shape: [2, 2], [1, 2, 3, 4])]), path: "m")
        var out = [Float](repeating: 0, count: 4)
        try out.withUnsafeMutableBufferPointer { try file.copyFloats(named: "w", shape: [2, 2], into: $0) }
        #expect(out == [1, 2, 3, 4])
        #expect(throws: SafetensorsError(.missingTensor, path: "m", reason: "no tensor named \"v\"")) {
            try out.withUnsafeMutableBufferPointer { try file.copyFloats(named: "v", shape: [2, 2], into: $0) }
        }
        #expect(throws: SafetensorsError(.missingTensor, path: "m", reason: "tensor \"w\" has shape [2, 2], expected [4]")) {
            try out.withUnsafeMutableBufferPointer { try file.copyFloats(named: "w", shape: [4], into: $0) }
        }
        var short = [Float](repeating: 0, count: 3)
        #expect(throws: SafetensorsError.self) {
            try short.withUnsafeMutableBufferPointer { try file.tensor(named: "w").copyFloats(into: $0) }
        }
        #expect(file["w"] != nil && file["v"] == nil)
    }

    @Test func rejectsInconsistentWriterInput() {
        func reject(_ entries: [SafetensorsWriter.Entry], _ fragment: String, sourceLocation: SourceLocation = #_sourceLocation) {
            do {
                _ = try SafetensorsWriter.encode(entries)
                Issue.record("accepted", sourceLocation: sourceLocation)
            } catch {
                #expect(error.kind == .writeFailed, sourceLocation: sourceLocation)
                #expect(error.reason.contains(fragment), "\(error.reason)", sourceLocation: sourceLocation)
            }
        }
        reject([.float32("a", shape: [1], [1]), .int64("a", shape: [1], [1])], "two tensors are named \"a\"")
        reject([.float32("__metadata__", shape: [1], [1])], "cannot name a tensor")
        reject([.float32("a", shape: [2, 2], [1, 2, 3])], "(4 elements) but 3 values")
        reject([.float32("a", shape: [-1], [])], "invalid shape [-1]")
        reject([.float32("a", shape: [1 << 40, 1 << 40], [])], "invalid shape")
    }

    @Test func reportsUnreadableAndUnwritablePaths() throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let missing = directory.appendingPathComponent("missing.safetensors")
        #expect(throws: SafetensorsError(.unreadable, path: missing.path, reason: "No such file or directory")) {
            try SafetensorsFile(contentsOf: missing)
        }
        #expect(throws: SafetensorsError(.unreadable, path: directory.path, reason: "is a directory")) {
            try SafetensorsFile(contentsOf: directory)
        }
        let inMissingFolder = directory.appendingPathComponent("no/such/dir/model.safetensors")
        do {
            try SafetensorsWriter.write([.float32("a", shape: [1], [1])], to: inMissingFolder)
            Issue.record("wrote into a missing directory")
        } catch {
            #expect(error.kind == .writeFailed)
            #expect(error.path == inMissingFolder.path)
        }
        // A failed replacement (the destination is a directory) leaves no temporary file behind.
        let occupied = directory.appendingPathComponent("occupied")
        try FileManager.default.createDirectory(at: occupied, withIntermediateDirectories: false)
        #expect(throws: SafetensorsError.self) { try SafetensorsWriter.write([.float32("a", shape: [1], [1])], to: occupied) }
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == ["occupied"])
    }

    /// The U-Net fixtures written by PyTorch's `safetensors` (Tests/Fixtures/unet), when present:
    /// they load, and our writer reproduces each file byte for byte (F32 and I64 tensors, metadata).
    @Test func readsAndReproducesThePyTorchFixtures() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/unet")
        let folders = (try? FileManager.default.contentsOfDirectory(atPath: root.path)) ?? []
        var checked = 0
        for folder in folders.sorted().map(root.appendingPathComponent) {
            for fileName in ["diffusion_pytorch_model.safetensors", "io.safetensors"] {
                let url = folder.appendingPathComponent(fileName)
                guard FileManager.default.fileExists(atPath: url.path) else { continue }
                let file = try SafetensorsFile(contentsOf: url)
                #expect(!file.tensors.isEmpty)
                let entries: [SafetensorsWriter.Entry] = try file.tensors.map { tensor in
                    tensor.dtype == .int64
                        ? .int64(tensor.name, shape: tensor.shape, try tensor.int64s())
                        : .float32(tensor.name, shape: tensor.shape, try tensor.floats())
                }
                #expect(try SafetensorsWriter.encode(entries, metadata: file.metadata) == Data(contentsOf: url), "\(url.path)")
                checked += 1
            }
            let weights = try SafetensorsFile(contentsOf: folder.appendingPathComponent("diffusion_pytorch_model.safetensors"))
            #expect(weights.tensors.allSatisfy { $0.dtype == .float32 })
            if let meta = try? JSONSerialization.jsonObject(with: Data(contentsOf: folder.appendingPathComponent("meta.json"))) as? [String: Any],
               let parameters = meta["num_parameters"] as? Int {
                #expect(weights.tensors.reduce(0) { $0 + $1.elementCount } == parameters, "\(folder.path)")
            }
        }
        #expect(checked == 2 * folders.count)
    }
}

import Foundation
import PhantomSafetensors
import Testing

/// Every validation rule of the reader, each broken by a forged file.
@Suite struct SafetensorsValidationTests {
    @Test func rejectsFilesShorterThanTheLengthPrefix() {
        for size in 0..<8 {
            Forge.expectRejected(Data(repeating: 0, count: size), .invalidHeader, "too short")
        }
    }

    @Test func rejectsHeaderLengthsBeyondTheLimitOrTheFile() {
        let header = "{}"
        Forge.expectRejected(Forge.file(header: header, length: 1 << 63), .invalidHeader, "exceeds the limit")
        Forge.expectRejected(Forge.file(header: header, length: UInt64.max), .invalidHeader, "exceeds the limit")
        Forge.expectRejected(Forge.file(header: header, length: 100_000_001), .invalidHeader, "exceeds the limit")
        Forge.expectRejected(Forge.file(header: header, length: 3), .invalidHeader, "exceeds the 2 bytes")
    }

    @Test func acceptsAnEmptyHeaderWithNoData() throws {
        let file = try SafetensorsFile(data: Forge.file(header: "{}"), path: "empty")
        #expect(file.tensors.isEmpty)
        #expect(file.metadata.isEmpty)
        // Whitespace padding after the object is allowed, as the spec says.
        #expect(try SafetensorsFile(data: Forge.file(header: "{}      "), path: "padded").tensors.isEmpty)
    }

    @Test func rejectsHeadersThatAreNotUTF8JSONObjects() {
        var invalidUTF8 = Forge.file(header: "{\"a\":1}")
        invalidUTF8[10] = 0xFF
        Forge.expectRejected(invalidUTF8, .invalidHeader, "not valid UTF-8")
        Forge.expectRejected(Forge.file(header: " {}"), .invalidHeader, "does not start with '{'")
        Forge.expectRejected(Forge.file(header: "[]"), .invalidHeader, "does not start with '{'")
        Forge.expectRejected(Forge.file(header: ""), .invalidHeader, "does not start with '{'")
        Forge.expectRejected(Forge.file(header: "{\"a\":}"), .invalidHeader, "not valid JSON")
        Forge.expectRejected(Forge.file(header: "{} x"), .invalidHeader, "unexpected data after")
        Forge.expectRejected(Forge.file(header: "{\"a"), .invalidHeader, "unterminated string")
        Forge.expectRejected(Forge.file(header: "{\"a\":[1,]}"), .invalidHeader, "not valid JSON")
        Forge.expectRejected(Forge.file(header: "{\"a\":01}"), .invalidHeader, "not valid JSON")
        Forge.expectRejected(Forge.file(header: "{\"a\u{01}\":1}"), .invalidHeader, "control character")
        Forge.expectRejected(Forge.file(header: "{\"\\ud800\":1}"), .invalidHeader, "lone UTF-16 surrogate")
        Forge.expectRejected(Forge.file(header: "{\"\\udc00x\":1}"), .invalidHeader, "lone UTF-16 surrogate")
    }

    @Test func rejectsDeepNestingWithoutExhaustingTheStack() {
        let deep = "{\"__metadata__\":" + String(repeating: "[", count: 200_000) + String(repeating: "]", count: 200_000) + "}"
        Forge.expectRejected(Forge.file(header: deep), .invalidHeader, "nesting deeper")
    }

    @Test func rejectsDuplicateTensorNames() {
        let header = "{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
            + "\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}"
        Forge.expectRejected(Forge.file(header: header, data: Array(repeating: 0, count: 8)), .invalidHeader, "duplicate key \"w\"")
        // The same name spelled with an escape is still the same name.
        let escaped = "{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
            + "\"\\u0077\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}"
        Forge.expectRejected(Forge.file(header: escaped, data: Array(repeating: 0, count: 8)), .invalidHeader, "duplicate key")
    }

    @Test func rejectsMalformedMetadata() {
        Forge.expectRejected(Forge.file(header: "{\"__metadata__\":[]}"), .invalidHeader, "__metadata__ is not an object")
        Forge.expectRejected(Forge.file(header: "{\"__metadata__\":{\"format\":1}}"), .invalidHeader,
                             "__metadata__ value for \"format\" is not a string")
    }

    @Test func rejectsMalformedEntries() {
        let data = [UInt8](repeating: 0, count: 8)
        func reject(_ header: String, _ fragment: String, sourceLocation: SourceLocation = #_sourceLocation) {
            Forge.expectRejected(Forge.file(header: header, data: data), .invalidTensor, fragment, sourceLocation: sourceLocation)
        }
        reject("{\"t\":[]}", "tensor \"t\" is not a JSON object")
        reject("{\"t\":{\"shape\":[2],\"data_offsets\":[0,8]}}", "has no \"dtype\"")
        reject("{\"t\":{\"dtype\":\"F32\",\"data_offsets\":[0,8]}}", "has no \"shape\"")
        reject("{\"t\":{\"dtype\":\"F32\",\"shape\":[2]}}", "has no \"data_offsets\"")
        reject("{\"t\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8],\"extra\":1}}", "unknown field \"extra\"")
        reject(Forge.header(dtype: "F4"), "unsupported dtype \"F4\"")
        reject(Forge.header(dtype: "f32"), "unsupported dtype \"f32\"")
        reject("{\"t\":{\"dtype\":32,\"shape\":[2],\"data_offsets\":[0,8]}}", "dtype is not a string")
    }

    @Test func rejectsBadShapes() {
        let data = [UInt8](repeating: 0, count: 8)
        func reject(_ shape: String, _ fragment: String, sourceLocation: SourceLocation = #_sourceLocation) {
            Forge.expectRejected(Forge.file(header: Forge.header(shape: shape), data: data), .invalidTensor, fragment,
                                 sourceLocation: sourceLocation)
        }
        reject("2", "shape is not a list")
        reject("[-1]", "negative dimension -1")
        reject("[-2,-1]", "negative dimension -2")
        reject("[1.5]", "not an integer")
        reject("[2.0]", "not an integer")
        reject("[1e3]", "not an integer")
        reject("[\"2\"]", "not an integer")
        reject("[99999999999999999999999]", "not an integer")
        reject("[1099511627776,1099511627776]", "too many elements")  // [2^40, 2^40]
        reject("[4611686018427387904]", "too many bytes")              // 2^62 elements × 4 bytes
    }

    @Test func rejectsBadOffsets() {
        let data = [UInt8](repeating: 0, count: 8)
        func reject(_ offsets: String, _ fragment: String, sourceLocation: SourceLocation = #_sourceLocation) {
            Forge.expectRejected(Forge.file(header: Forge.header(offsets: offsets), data: data), .invalidTensor, fragment,
                                 sourceLocation: sourceLocation)
        }
        reject("[0]", "not a pair of non-negative integers")
        reject("[0,8,8]", "not a pair of non-negative integers")
        reject("[-8,0]", "not a pair of non-negative integers")
        reject("[0,8.0]", "not a pair of non-negative integers")
        reject("{}", "not a pair of non-negative integers")
        reject("[8,0]", "end before they begin")
        reject("[0,16]", "extend past the 8-byte data region")
        reject("[0,18446744073709551615]", "not a pair of non-negative integers")
        reject("[0,4]", "hold 4 bytes but F32 [2] needs 8")
    }

    @Test func reportsSizeMismatchesWithNameShapeAndByteCounts() throws {
        let header = Forge.header("conv_in.weight", shape: "[8,1,3,3]", offsets: "[0,100]")
        let data = Forge.file(header: header, data: Array(repeating: 0, count: 100))
        #expect(throws: SafetensorsError(.invalidTensor, path: "model.safetensors", reason:
            "tensor \"conv_in.weight\" data_offsets [0, 100] hold 100 bytes but F32 [8, 1, 3, 3] needs 288")) {
            try SafetensorsFile(data: data, path: "model.safetensors")
        }
    }

    @Test func rejectsOverlapsHolesAndUncoveredBytes() {
        func file(_ a: String, _ b: String, dataSize: Int) -> Data {
            let header = "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":\(a)},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":\(b)}}"
            return Forge.file(header: header, data: Array(repeating: 0, count: dataSize))
        }
        Forge.expectRejected(file("[0,8]", "[4,12]", dataSize: 12), .invalidTensor, "tensor \"b\" data_offsets [4, 12] overlap tensor \"a\" [0, 8]")
        Forge.expectRejected(file("[0,8]", "[0,8]", dataSize: 8), .invalidTensor, "overlap")
        Forge.expectRejected(file("[0,8]", "[12,20]", dataSize: 20), .invalidTensor, "data bytes [8, 12) are not covered")
        Forge.expectRejected(file("[4,12]", "[12,20]", dataSize: 20), .invalidTensor, "data bytes [0, 4) are not covered")
        Forge.expectRejected(file("[0,8]", "[8,16]", dataSize: 20), .invalidTensor, "data bytes [16, 20) are not covered")
        Forge.expectRejected(Forge.file(header: "{}", data: [0]), .invalidTensor, "data bytes [0, 1) are not covered")
        // A zero-element tensor may sit at any boundary; inside another tensor it overlaps.
        let empty = "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
            + "\"e\":{\"dtype\":\"F32\",\"shape\":[0,3],\"data_offsets\":[8,8]}}"
        #expect(throws: Never.self) { try SafetensorsFile(data: Forge.file(header: empty, data: Array(repeating: 0, count: 8)), path: "ok") }
        let inside = "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
            + "\"e\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[4,4]}}"
        Forge.expectRejected(Forge.file(header: inside, data: Array(repeating: 0, count: 8)), .invalidTensor, "overlap")
    }

    @Test func rejectsEveryTruncationOfAValidFile() throws {
        let valid = try SafetensorsWriter.encode([
            .float32("a", shape: [2, 3], [1, 2, 3, 4, 5, 6]),
            .int64("labels", shape: [2], [7, 9]),
            .float32("z", shape: [1], [0.5]),
        ], metadata: ["format": "pt"])
        #expect(throws: Never.self) { try SafetensorsFile(data: valid, path: "valid") }
        for cut in 0..<valid.count {
            #expect(throws: SafetensorsError.self, "cut at \(cut) of \(valid.count)") {
                try SafetensorsFile(data: valid.prefix(cut), path: "cut")
            }
        }
    }

    @Test func survivesRandomCorruption() throws {
        let valid = try SafetensorsWriter.encode([
            .float32("down_blocks.0.weight", shape: [3, 2], [1, 2, 3, 4, 5, 6]),
            .int64("step", shape: [], [42]),
        ], metadata: ["a": "b"])
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next() -> Int {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Int(truncatingIfNeeded: state >> 33)
        }
        var rejected = 0
        for _ in 0..<3000 {
            var corrupt = valid
            for _ in 0...(next() % 3) {
                corrupt[next() % corrupt.count] = UInt8(truncatingIfNeeded: next())
            }
            do {
                let file = try SafetensorsFile(data: corrupt, path: "corrupt")
                for tensor in file.tensors {
                    _ = try? tensor.floats()
                    _ = try? tensor.int64s()
                }
            } catch {
                rejected += 1
            }
        }
        #expect(rejected > 0)
    }
}

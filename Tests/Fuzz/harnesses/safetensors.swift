// libFuzzer harness: SafetensorsFile(data:path:) on arbitrary bytes, then every
// accessor on every tensor it accepts.
// Contract: any input is either accepted (and then every tensor converts within its
// validated byte range) or rejected with a SafetensorsError naming the file.
import Foundation
import PhantomSafetensors

private let verbose = ProcessInfo.processInfo.environment["FUZZ_VERBOSE"] != nil

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSafetensors(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let bytes = Data(bytes: data, count: size)
    let file: SafetensorsFile
    do {
        file = try SafetensorsFile(data: bytes, path: "fuzz.safetensors")
    } catch {
        if verbose { print("rejected: \(error)") }
        precondition(error.path == "fuzz.safetensors", "error does not name the file: \(error)")
        return 0
    }
    if verbose { print("accepted: \(file.tensors.map { "\($0.name) \($0.dtype) \($0.shape)" })") }
    for tensor in file.tensors {
        precondition(file[tensor.name] != nil, "tensor \(tensor.name) not found by name")
        precondition(tensor.shape.reduce(1, *) == tensor.elementCount, "element count disagrees with shape")
        tensor.withUnsafeBytes { raw in
            precondition(raw.count == tensor.elementCount * tensor.dtype.byteSize, "byte range disagrees with shape")
        }
        if let floats = try? tensor.floats() { precondition(floats.count == tensor.elementCount, "floats count") }
        _ = try? tensor.int64s()
        _ = try? tensor.int32s()
        let destination = UnsafeMutableBufferPointer<Float>.allocate(capacity: max(1, tensor.elementCount))
        defer { destination.deallocate() }
        _ = try? file.copyFloats(named: tensor.name, shape: tensor.shape,
                                 into: UnsafeMutableBufferPointer(rebasing: destination[0..<tensor.elementCount]))
    }
    _ = try? file.tensor(named: "surely-not-a-tensor-name")
    return 0
}

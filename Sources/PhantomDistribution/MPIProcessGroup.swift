import CMPI
import Foundation
import PhantomTensor

/// The processes of an `mpirun` (or Slurm `srun`) job, through Open MPI.
///
/// Only the main thread calls MPI (`MPI_THREAD_FUNNELED`); Dispatch workers compute
/// between the calls. MPI's default error handler stays in place: a failed call, or a
/// process that dies, ends the whole job with the launcher's message rather than leaving
/// the other processes waiting.
public final class MPIProcessGroup: ProcessGroup {
    public let rank: Int
    public let size: Int
    private let world = phantom_mpi_comm_world()
    /// Elements per MPI call: counts are 32-bit in the MPI C API.
    private static let maxCount = 1 << 30

    /// Initialises MPI for this process. Call once, before any other MPI use.
    public init() {
        var provided: Int32 = 0
        MPI_Init_thread(nil, nil, phantom_mpi_thread_funneled(), &provided)
        var rank: Int32 = 0, size: Int32 = 0
        MPI_Comm_rank(world, &rank)
        MPI_Comm_size(world, &size)
        self.rank = Int(rank)
        self.size = Int(size)
    }

    public func allReduceSum(_ buffer: UnsafeMutablePointer<Float>, count: Int) {
        var start = 0
        while start < count {
            let length = min(Self.maxCount, count - start)
            MPI_Allreduce(phantom_mpi_in_place(), buffer + start, Int32(length), phantom_mpi_float(), phantom_mpi_sum(), world)
            start += length
        }
    }

    public func allReduceSum(_ values: [Double]) -> [Double] {
        var result = values
        result.withUnsafeMutableBufferPointer { buffer in
            _ = MPI_Allreduce(phantom_mpi_in_place(), buffer.baseAddress, Int32(buffer.count), phantom_mpi_double(),
                              phantom_mpi_sum(), world)
        }
        return result
    }

    public func allGather(_ value: UInt64) -> [UInt64] {
        var mine = value
        var all = [UInt64](repeating: 0, count: size)
        all.withUnsafeMutableBufferPointer { buffer in
            _ = MPI_Allgather(&mine, 1, phantom_mpi_uint64(), buffer.baseAddress, 1, phantom_mpi_uint64(), world)
        }
        return all
    }

    public func gather(_ bytes: [UInt8]) -> [[UInt8]] {
        var length = Int32(bytes.count)
        var lengths = [Int32](repeating: 0, count: size)
        lengths.withUnsafeMutableBufferPointer { buffer in
            _ = MPI_Gather(&length, 1, phantom_mpi_int(), buffer.baseAddress, 1, phantom_mpi_int(), 0, world)
        }
        var offsets = [Int32](repeating: 0, count: size)
        for index in lengths.indices.dropFirst() { offsets[index] = offsets[index - 1] + lengths[index - 1] }
        var all = [UInt8](repeating: 0, count: isLead ? Int(lengths.reduce(0, +)) : 0)
        var sent = bytes
        sent.withUnsafeMutableBufferPointer { send in
            all.withUnsafeMutableBufferPointer { receive in
                _ = MPI_Gatherv(send.baseAddress, length, phantom_mpi_byte(), receive.baseAddress, lengths, offsets,
                                phantom_mpi_byte(), 0, world)
            }
        }
        guard isLead else { return [] }
        return lengths.indices.map { Array(all[Int(offsets[$0])..<Int(offsets[$0] + lengths[$0])]) }
    }

    public func barrier() {
        MPI_Barrier(world)
    }

    /// Ends MPI for this process after a successful run (every process must call it).
    public func finish() {
        MPI_Finalize()
    }

    /// Ends the whole job at once with exit status `code` (after an error on this process).
    public func abort(code: Int32) -> Never {
        MPI_Abort(world, code)
        exit(code)
    }
}

// Open MPI (Debian: libopenmpi-dev) for data-parallel training and sampling.
//
// Open MPI's handles — MPI_COMM_WORLD, MPI_FLOAT, MPI_SUM, MPI_IN_PLACE — are macros
// over the addresses of global structs, which Swift cannot import. The few that
// Phantom needs are returned by the static inline functions below; the MPI calls
// themselves are plain C functions and are imported from <mpi.h> as they are.
#ifndef PHANTOM_CMPI_SHIM_H
#define PHANTOM_CMPI_SHIM_H

#include <mpi.h>

/// Every process of the job.
static inline MPI_Comm phantom_mpi_comm_world(void) { return MPI_COMM_WORLD; }
/// 32-bit IEEE float.
static inline MPI_Datatype phantom_mpi_float(void) { return MPI_FLOAT; }
/// 64-bit IEEE float.
static inline MPI_Datatype phantom_mpi_double(void) { return MPI_DOUBLE; }
/// Unsigned bytes.
static inline MPI_Datatype phantom_mpi_byte(void) { return MPI_BYTE; }
/// 64-bit unsigned integers.
static inline MPI_Datatype phantom_mpi_uint64(void) { return MPI_UINT64_T; }
/// 32-bit signed integers.
static inline MPI_Datatype phantom_mpi_int(void) { return MPI_INT; }
/// Element-wise sum.
static inline MPI_Op phantom_mpi_sum(void) { return MPI_SUM; }
/// Element-wise maximum.
static inline MPI_Op phantom_mpi_max(void) { return MPI_MAX; }
/// "The send buffer is the receive buffer."
static inline void *phantom_mpi_in_place(void) { return MPI_IN_PLACE; }
/// The thread level where only the main thread makes MPI calls.
static inline int phantom_mpi_thread_funneled(void) { return MPI_THREAD_FUNNELED; }

#endif

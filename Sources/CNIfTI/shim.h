// niftilib (Debian: libnifti2-dev) for the byte order and geometry of NIfTI-1 and
// NIfTI-2 headers, and zlib for `.nii.gz`.
//
// niftilib reads volumes only from named files, so PhantomImaging parses and checks the
// header bytes and reads the voxels itself, from memory and bounds-checked; niftilib
// swaps a header to the machine's byte order, turns the qform quaternion into a matrix,
// and finds the voxel axis closest to each world axis.
//
// Debian's nifti2_io.h includes <znzlib.h> from /usr/include/nifti/, a folder that is
// not on the include path; niftilib has no pkg-config file to add it, and a system
// library target cannot. So the few niftilib functions used are declared here, as
// nifti2_io.h (nifti_clib 3.0) declares them; `nifti_dmat44` is its 4×4 double matrix.
//
// zlib's `inflateInit2` is a macro (it passes the library version and the stream's
// size), so it is wrapped here.
#ifndef PHANTOM_CNIFTI_SHIM_H
#define PHANTOM_CNIFTI_SHIM_H

#include <zlib.h>

/// A 4×4 matrix of doubles, row-major: niftilib's `nifti_dmat44`.
typedef struct { double m[4][4]; } nifti_dmat44;

/// Swaps the bytes of every field of a header in place: `ni_ver` 1 for a 348-byte
/// NIfTI-1 header, 2 for a 540-byte NIfTI-2 header. `hdr` must be 8-byte aligned.
extern void swap_nifti_header(void *hdr, int ni_ver);

/// The qform matrix (voxel indices → RAS+ mm) of quaternion (b, c, d), offsets
/// (x, y, z), spacings (non-positive ones count as 1) and `qfac` (−1 flips k).
extern nifti_dmat44 nifti_quatern_to_dmat44(double qb, double qc, double qd,
                                            double qx, double qy, double qz,
                                            double dx, double dy, double dz, double qfac);

/// For each voxel axis i, j, k of an affine, the direction it points closest to:
/// NIFTI_L2R (1), R2L (2), P2A (3), A2P (4), I2S (5), S2I (6); all 0 when the matrix is
/// degenerate.
extern void nifti_dmat44_to_orientation(nifti_dmat44 R, int *icod, int *jcod, int *kcod);

/// The name of a NIfTI datatype code ("DT_RGB24", …, "DT_UNKNOWN").
extern char const *nifti_datatype_string(int dt);

/// Sets niftilib's diagnostic level (0: quiet).
extern void nifti_set_debug_level(int level);

/// inflateInit2 for gzip streams only (window bits 15, +16 for the gzip wrapper).
static inline int phantom_inflate_init_gzip(z_stream *stream) {
    return inflateInit2(stream, 15 + 16);
}

#endif

// A C interface to DCMTK (Debian: libdcmtk-dev), the DICOM toolkit, for PhantomImaging.
//
// DCMTK is C++; Swift sees only these functions. They parse a DICOM file held in memory
// and render its frames as display values: the modality LUT (Rescale Slope/Intercept, or
// a Modality LUT), then a VOI window, with MONOCHROME1 inverted so that larger values are
// brighter, colour converted to luminance, and compressed transfer syntaxes (JPEG baseline,
// extended and lossless, JPEG-LS, RLE) decoded. No text element of the file is read, so no
// patient data leaves DCMTK.
#ifndef PHANTOM_DICOM_SHIM_H
#define PHANTOM_DICOM_SHIM_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// How the VOI window is chosen.
typedef enum {
    /// The file's first Window Center/Width, else its first VOI LUT, else as `auto`.
    PHANTOM_DICOM_WINDOW_FILE = 0,
    /// The given center and width.
    PHANTOM_DICOM_WINDOW_FIXED = 1,
    /// From the histogram of each frame, ignoring the darkest and brightest 1 % (robust percentiles).
    PHANTOM_DICOM_WINDOW_AUTO = 2,
} phantom_dicom_window;

/// What `phantom_dicom_open` found.
typedef struct {
    int32_t columns;
    int32_t rows;
    int32_t frames;
    /// Bits per output sample: 16 when the stored samples have more than 8 bits, else 8.
    int32_t bits;
    /// Which window was applied: 0 the file's, 1 fixed, 2 histogram (auto or the fallback).
    int32_t window_used;
    /// The window's center and width when one served every frame (the file's first Window
    /// Center/Width, or the given one); NaN for a VOI LUT or per-frame percentiles.
    double window_center;
    double window_width;
} phantom_dicom_info;

/// Parses `count` bytes of a DICOM file (Part 10 with or without the 128-byte preamble, or
/// a bare dataset) and prepares its frames for rendering. Refuses files without pixel
/// data and files with more than `max_pixels` pixels over all frames (checked before the
/// pixels are decoded). Returns an opaque handle, or NULL with the reason in `message`.
void *phantom_dicom_open(const uint8_t *bytes, size_t count, int64_t max_pixels,
                         phantom_dicom_window window, double center, double width,
                         phantom_dicom_info *info, char *message, size_t message_size);

/// Renders frame `frame` (0-based) into `out`: columns × rows samples, row by row, of
/// `info.bits` bits each (uint8_t or uint16_t). Returns 0, or -1 with the reason in `message`.
int phantom_dicom_frame(void *handle, int32_t frame, void *out, char *message, size_t message_size);

/// Releases a handle of `phantom_dicom_open`.
void phantom_dicom_close(void *handle);

/// The identity and provenance of a synthetic image written as DICOM (all UTF-8, NUL-terminated).
typedef struct {
    const char *study_uid;
    const char *series_uid;
    const char *instance_uid;
    int32_t series_number;
    int32_t instance_number;
    /// Series Description, e.g. "SYNTHETIC ct_axial (Phantom)".
    const char *series_description;
    /// Derivation Description and Image Comments: what made the image (model SHA-256, seed, ...).
    const char *derivation;
    /// Software Versions of the equipment module.
    const char *software_version;
} phantom_dicom_synthetic;

/// Writes a Secondary Capture image (SOP class 1.2.840.10008.5.1.4.1.1.7, Explicit VR Little
/// Endian) of `columns` × `rows` MONOCHROME2 samples of `bits` (8 or 16) bits to `path`:
/// Conversion Type SYN (synthetic image), Image Type DERIVED\SECONDARY, Patient Identity
/// Removed YES, patient name "SYNTHETIC^PHANTOM" and no other patient data. Returns 0, or
/// -1 with the reason in `message`.
int phantom_dicom_write_synthetic(const char *path, const void *pixels, int32_t columns, int32_t rows, int32_t bits,
                                  const phantom_dicom_synthetic *identity, char *message, size_t message_size);

#ifdef __cplusplus
}
#endif

#endif

// libtiff (Debian: libtiff-dev), opened on a buffer in memory, with its error and
// warning messages captured per handle instead of printed to stderr.
//
// Swift cannot format a C `va_list` message with `vsnprintf` in a C-convention
// callback that also needs a context pointer, so the few callbacks live here as
// static inline functions; Swift calls `phantom_tiff_open` and reads the messages
// from the `phantom_tiff_source` it passed in.
#ifndef PHANTOM_CTIFF_SHIM_H
#define PHANTOM_CTIFF_SHIM_H

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <tiffio.h>

/// A read-only TIFF file in memory, and the first error and warning libtiff reported on it.
typedef struct phantom_tiff_source {
    const unsigned char *data;
    uint64_t size;
    uint64_t offset;
    /// The first error since the last `phantom_tiff_clear_messages` (NUL-terminated, may be empty).
    char error[256];
    /// The first warning since the last `phantom_tiff_clear_messages`.
    char warning[256];
} phantom_tiff_source;

static inline tmsize_t phantom_tiff_read(thandle_t handle, void *buffer, tmsize_t count) {
    phantom_tiff_source *source = (phantom_tiff_source *)handle;
    if (count <= 0 || source->offset >= source->size) return 0;
    uint64_t available = source->size - source->offset;
    uint64_t n = (uint64_t)count < available ? (uint64_t)count : available;
    memcpy(buffer, source->data + source->offset, (size_t)n);
    source->offset += n;
    return (tmsize_t)n;
}

static inline tmsize_t phantom_tiff_write(thandle_t handle, void *buffer, tmsize_t count) {
    (void)handle; (void)buffer; (void)count;
    return -1;  // read-only
}

static inline toff_t phantom_tiff_seek(thandle_t handle, toff_t offset, int whence) {
    phantom_tiff_source *source = (phantom_tiff_source *)handle;
    uint64_t base;
    switch (whence) {
    case SEEK_SET: base = 0; break;
    case SEEK_CUR: base = source->offset; break;
    case SEEK_END: base = source->size; break;
    default: return (toff_t)-1;
    }
    if (offset > UINT64_MAX - base) return (toff_t)-1;
    source->offset = base + offset;  // past the end is allowed; reads there return 0 bytes
    return source->offset;
}

static inline int phantom_tiff_close(thandle_t handle) { (void)handle; return 0; }

static inline toff_t phantom_tiff_size(thandle_t handle) { return ((phantom_tiff_source *)handle)->size; }

static inline int phantom_tiff_map(thandle_t handle, void **base, toff_t *size) {
    (void)handle; (void)base; (void)size;
    return 0;  // no mapping: libtiff copies through phantom_tiff_read
}

static inline void phantom_tiff_unmap(thandle_t handle, void *base, toff_t size) {
    (void)handle; (void)base; (void)size;
}

static inline void phantom_tiff_format(char *destination, size_t capacity, const char *module,
                                       const char *format, va_list arguments) {
    if (destination[0] != 0) return;  // keep the first message: later ones are usually consequences
    int used = 0;
    if (module != NULL && module[0] != 0) {
        used = snprintf(destination, capacity, "%s: ", module);
        if (used < 0 || (size_t)used >= capacity) used = 0;
    }
    vsnprintf(destination + used, capacity - (size_t)used, format, arguments);
}

static inline int phantom_tiff_on_error(TIFF *tiff, void *context, const char *module,
                                        const char *format, va_list arguments) {
    (void)tiff;
    phantom_tiff_source *source = (phantom_tiff_source *)context;
    phantom_tiff_format(source->error, sizeof source->error, module, format, arguments);
    return 1;  // handled: libtiff calls no global handler (and never exits)
}

static inline int phantom_tiff_on_warning(TIFF *tiff, void *context, const char *module,
                                          const char *format, va_list arguments) {
    (void)tiff;
    phantom_tiff_source *source = (phantom_tiff_source *)context;
    phantom_tiff_format(source->warning, sizeof source->warning, module, format, arguments);
    return 1;
}

static inline void phantom_tiff_clear_messages(phantom_tiff_source *source) {
    source->error[0] = 0;
    source->warning[0] = 0;
}

/// Turns off libtiff's process-wide handlers (which print to stderr) for the few
/// messages libtiff reports before a handle exists. Idempotent.
static inline void phantom_tiff_silence_global_handlers(void) {
    TIFFSetErrorHandler(NULL);
    TIFFSetWarningHandler(NULL);
}

/// Opens `source` read-only (no memory mapping). `max_single_allocation` caps every
/// buffer libtiff allocates for this handle (0: libtiff's default, none). NULL on
/// failure, with the reason in `source->error`.
static inline TIFF *phantom_tiff_open(phantom_tiff_source *source, const char *name,
                                      tmsize_t max_single_allocation) {
    source->offset = 0;
    phantom_tiff_clear_messages(source);
    TIFFOpenOptions *options = TIFFOpenOptionsAlloc();
    if (options == NULL) {
        snprintf(source->error, sizeof source->error, "out of memory");
        return NULL;
    }
    TIFFOpenOptionsSetMaxSingleMemAlloc(options, max_single_allocation);
    TIFFOpenOptionsSetErrorHandlerExtR(options, phantom_tiff_on_error, source);
    TIFFOpenOptionsSetWarningHandlerExtR(options, phantom_tiff_on_warning, source);
    TIFF *tiff = TIFFClientOpenExt(name, "rm", (thandle_t)source, phantom_tiff_read, phantom_tiff_write,
                                   phantom_tiff_seek, phantom_tiff_close, phantom_tiff_size,
                                   phantom_tiff_map, phantom_tiff_unmap, options);
    TIFFOpenOptionsFree(options);
    return tiff;
}

/// TIFFGetField for one-value tags, by type (variadic C functions do not import).
static inline int phantom_tiff_get_u16(TIFF *tiff, uint32_t tag, uint16_t *value) {
    return TIFFGetField(tiff, tag, value);
}
static inline int phantom_tiff_get_u32(TIFF *tiff, uint32_t tag, uint32_t *value) {
    return TIFFGetField(tiff, tag, value);
}
static inline int phantom_tiff_get_defaulted_u16(TIFF *tiff, uint32_t tag, uint16_t *value) {
    return TIFFGetFieldDefaulted(tiff, tag, value);
}
static inline int phantom_tiff_get_defaulted_u32(TIFF *tiff, uint32_t tag, uint32_t *value) {
    return TIFFGetFieldDefaulted(tiff, tag, value);
}
/// TIFFTAG_EXTRASAMPLES: the count and a pointer to libtiff's array of kinds.
static inline int phantom_tiff_get_extra_samples(TIFF *tiff, uint16_t *count, const uint16_t **kinds) {
    uint16_t *values = NULL;
    int ok = TIFFGetFieldDefaulted(tiff, TIFFTAG_EXTRASAMPLES, count, &values);
    *kinds = values;
    return ok;
}

#endif

// DCMTK behind the C interface of dicom_shim.h.
#include "dicom_shim.h"

#include "dcmtk/config/osconfig.h"
#include "dcmtk/dcmdata/dcdeftag.h"
#include "dcmtk/dcmdata/dcfilefo.h"
#include "dcmtk/dcmdata/dcistrmb.h"
#include "dcmtk/dcmdata/dcrledrg.h"
#include "dcmtk/dcmimage/diregist.h"
#include "dcmtk/dcmimgle/dcmimage.h"
#include "dcmtk/dcmjpeg/djdecode.h"
#include "dcmtk/dcmjpls/djdecode.h"
#include "dcmtk/oflog/oflog.h"

#include <cstdio>
#include <cstring>
#include <memory>
#include <mutex>

namespace {

/// Codec registration and logger configuration are process-wide: once.
void prepareToolkit() {
    static std::once_flag once;
    std::call_once(once, [] {
        OFLog::configure(OFLogger::OFF_LOG_LEVEL);
        DJDecoderRegistration::registerCodecs();
        DJLSDecoderRegistration::registerCodecs();
        DcmRLEDecoderRegistration::registerCodecs();
    });
}

void say(char *message, size_t size, const char *text) {
    if (message != nullptr && size > 0) std::snprintf(message, size, "%s", text);
}

struct Handle {
    DcmFileFormat file;
    std::unique_ptr<DicomImage> image;
    int bits = 8;
    bool histogramWindow = false;
};

/// The longest DICOM file read into memory is the caller's business; the parser is told
/// the stream ends where the bytes do.
OFCondition parse(DcmFileFormat &file, const uint8_t *bytes, size_t count) {
    DcmInputBufferStream stream;
    stream.setBuffer(bytes, static_cast<offile_off_t>(count));
    stream.setEos();
    file.transferInit();
    OFCondition status = file.read(stream, EXS_Unknown, EGL_noChange, DCM_MaxReadLength);
    file.transferEnd();
    return status;
}

}  // namespace

extern "C" void *phantom_dicom_open(const uint8_t *bytes, size_t count, int64_t max_pixels,
                                    phantom_dicom_window window, double center, double width,
                                    phantom_dicom_info *info, char *message, size_t message_size) {
    prepareToolkit();
    auto handle = std::make_unique<Handle>();
    OFCondition status = parse(handle->file, bytes, count);
    if (status.bad()) {
        char text[200];
        std::snprintf(text, sizeof text, "not a readable DICOM file (%s)", status.text());
        say(message, message_size, text);
        return nullptr;
    }
    DcmDataset *dataset = handle->file.getDataset();
    if (dataset == nullptr || !dataset->tagExists(DCM_PixelData)) {
        say(message, message_size, "DICOM file without pixel data (not an image)");
        return nullptr;
    }
    Uint16 rows = 0, columns = 0, bitsStored = 0;
    dataset->findAndGetUint16(DCM_Rows, rows);
    dataset->findAndGetUint16(DCM_Columns, columns);
    dataset->findAndGetUint16(DCM_BitsStored, bitsStored);
    Sint32 frames = 1;
    if (dataset->findAndGetSint32(DCM_NumberOfFrames, frames).bad() || frames < 1) frames = 1;
    if (rows == 0 || columns == 0) {
        say(message, message_size, "DICOM image with zero rows or columns");
        return nullptr;
    }
    const int64_t pixels = static_cast<int64_t>(rows) * columns * frames;
    if (pixels > max_pixels) {
        char text[200];
        std::snprintf(text, sizeof text, "DICOM image of %u x %u x %d frames exceeds the limit of %lld pixels",
                      columns, rows, static_cast<int>(frames), static_cast<long long>(max_pixels));
        say(message, message_size, text);
        return nullptr;
    }
    handle->image = std::make_unique<DicomImage>(&handle->file, EXS_Unknown, CIF_AcrNemaCompatibility);
    if (handle->image->getStatus() != EIS_Normal) {
        char text[200];
        std::snprintf(text, sizeof text, "DICOM pixel data cannot be decoded (%s)",
                      DicomImage::getString(handle->image->getStatus()));
        say(message, message_size, text);
        return nullptr;
    }
    if (!handle->image->isMonochrome()) {
        // Rec. 709 luminance, as the PNG, JPEG and TIFF readers use.
        DicomImage *gray = handle->image->createMonochromeImage(0.2126, 0.7152, 0.0722);
        if (gray == nullptr || gray->getStatus() != EIS_Normal) {
            delete gray;
            say(message, message_size, "DICOM colour image cannot be converted to luminance");
            return nullptr;
        }
        handle->image.reset(gray);
    }
    DicomImage &image = *handle->image;
    int used = 0;
    switch (window) {
    case PHANTOM_DICOM_WINDOW_FIXED:
        if (!(width >= 1) || !image.setWindow(center, width)) {
            say(message, message_size, "the window width must be at least 1");
            return nullptr;
        }
        used = 1;
        break;
    case PHANTOM_DICOM_WINDOW_FILE:
        if (image.getWindowCount() > 0 && image.setWindow(0)) break;
        if (image.getVoiLutCount() > 0 && image.setVoiLut(0)) break;
        /* fall through: no window in the file */
    case PHANTOM_DICOM_WINDOW_AUTO:
        handle->histogramWindow = true;
        used = 2;
        break;
    }
    handle->bits = (bitsStored > 8 || image.getDepth() > 8) ? 16 : 8;
    if (info != nullptr) {
        info->columns = static_cast<int32_t>(image.getWidth());
        info->rows = static_cast<int32_t>(image.getHeight());
        info->frames = static_cast<int32_t>(image.getFrameCount());
        info->bits = handle->bits;
        info->window_used = used;
    }
    return handle.release();
}

extern "C" int phantom_dicom_frame(void *opaque, int32_t frame, void *out, char *message, size_t message_size) {
    auto *handle = static_cast<Handle *>(opaque);
    DicomImage &image = *handle->image;
    if (frame < 0 || static_cast<unsigned long>(frame) >= image.getFrameCount()) {
        say(message, message_size, "no such DICOM frame");
        return -1;
    }
    if (handle->histogramWindow) {
        // Per frame: the window spans the 1st to the 99th percentile of this frame's values.
        DicomImage *single = image.createDicomImage(static_cast<unsigned long>(frame), 1);
        if (single == nullptr || !single->setHistogramWindow(0.01)) {
            delete single;
            say(message, message_size, "DICOM frame has no values to window");
            return -1;
        }
        const void *data = single->getOutputData(handle->bits, 0);
        const size_t bytes = static_cast<size_t>(image.getWidth()) * image.getHeight() * (handle->bits / 8);
        if (data == nullptr) {
            delete single;
            say(message, message_size, "DICOM frame cannot be rendered");
            return -1;
        }
        std::memcpy(out, data, bytes);
        delete single;
        return 0;
    }
    const void *data = image.getOutputData(handle->bits, static_cast<unsigned long>(frame));
    if (data == nullptr) {
        say(message, message_size, "DICOM frame cannot be rendered");
        return -1;
    }
    std::memcpy(out, data, static_cast<size_t>(image.getWidth()) * image.getHeight() * (handle->bits / 8));
    return 0;
}

extern "C" void phantom_dicom_close(void *handle) {
    delete static_cast<Handle *>(handle);
}

// DCMTK behind the C interface of dicom_shim.h.
#include "dicom_shim.h"

#include "dcmtk/config/osconfig.h"
#include "dcmtk/dcmdata/dcdeftag.h"
#include "dcmtk/dcmdata/dcfilefo.h"
#include "dcmtk/dcmdata/dcistrmb.h"
#include "dcmtk/dcmdata/dcrledrg.h"
#include "dcmtk/dcmdata/dcxfer.h"
#include "dcmtk/dcmdata/dcuid.h"
#include "dcmtk/dcmimage/diregist.h"
#include "dcmtk/dcmimgle/dcmimage.h"
#include "dcmtk/dcmjpeg/djdecode.h"
#include "dcmtk/dcmjpls/djdecode.h"
#include "dcmtk/oflog/oflog.h"

#include <cstdio>
#include <cmath>
#include <cstring>
#include <memory>
#include <mutex>
#include <vector>

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
        char text[240];
        const DcmXfer xfer(dataset->getOriginalXfer());
        if (xfer.isEncapsulated()) {
            // DCMTK's free toolkit decodes JPEG, JPEG-LS and RLE; not JPEG 2000 or others.
            std::snprintf(text, sizeof text, "DICOM pixel data in %s cannot be decoded (%s)%s", xfer.getXferName(),
                          DicomImage::getString(handle->image->getStatus()),
                          std::strstr(xfer.getXferName(), "2000") != nullptr
                              ? "; JPEG 2000 is not supported: convert with e.g. gdcmconv --raw" : "");
        } else {
            std::snprintf(text, sizeof text, "DICOM pixel data cannot be decoded (%s)",
                          DicomImage::getString(handle->image->getStatus()));
        }
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
    double usedCenter = std::nan(""), usedWidth = std::nan("");
    switch (window) {
    case PHANTOM_DICOM_WINDOW_FIXED:
        if (!(width >= 1) || !image.setWindow(center, width)) {
            say(message, message_size, "the window width must be at least 1");
            return nullptr;
        }
        used = 1;
        usedCenter = center;
        usedWidth = width;
        break;
    case PHANTOM_DICOM_WINDOW_FILE:
        if (image.getWindowCount() > 0 && image.setWindow(0)) {
            if (!image.getWindow(usedCenter, usedWidth)) usedCenter = usedWidth = std::nan("");
            break;
        }
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
        info->window_center = usedCenter;
        info->window_width = usedWidth;
    }
    return handle.release();
}

namespace {

/// Sets the window to frame `frame`'s 1st to 99th percentile of modality values. DCMTK's own
/// histogram window allocates one bin per possible value (16 GB for 32-bit data), so the
/// percentiles are taken here from a 16-bit rendering through the full-range window.
bool setPercentileWindow(DicomImage &image, unsigned long frame) {
    double low = 0, high = 0;
    if (!image.getMinMaxValues(low, high, 0)) return false;
    if (high <= low) return image.setWindow(low + 0.5, 1) != 0;
    // The linear VOI function (PS3.3 C.11.2.1.2.1) with c = (low + high)/2 + 0.5 and
    // w = high - low + 1 maps low..high onto 0..65535 exactly.
    if (!image.setWindow((low + high) / 2 + 0.5, high - low + 1)) return false;
    const Uint16 *full = static_cast<const Uint16 *>(image.getOutputData(16, frame));
    if (full == nullptr) return false;
    const size_t count = static_cast<size_t>(image.getWidth()) * image.getHeight();
    std::vector<size_t> histogram(65536, 0);
    for (size_t i = 0; i < count; i++) histogram[full[i]]++;
    size_t seen = 0, first = 0, last = 65535;
    bool haveFirst = false;
    for (size_t value = 0; value < histogram.size(); value++) {
        seen += histogram[value];
        if (!haveFirst && seen * 100 >= count) { first = value; haveFirst = true; }
        if (seen * 100 >= count * 99) { last = value; break; }
    }
    const double from = low + (high - low) * first / 65535.0;
    double to = low + (high - low) * last / 65535.0;
    if (to <= from) to = from + 1;
    return image.setWindow((from + to) / 2 + 0.5, to - from + 1) != 0;
}

}  // namespace

extern "C" int phantom_dicom_frame(void *opaque, int32_t frame, void *out, char *message, size_t message_size) {
    auto *handle = static_cast<Handle *>(opaque);
    DicomImage &image = *handle->image;
    if (frame < 0 || static_cast<unsigned long>(frame) >= image.getFrameCount()) {
        say(message, message_size, "no such DICOM frame");
        return -1;
    }
    if (handle->histogramWindow && !setPercentileWindow(image, static_cast<unsigned long>(frame))) {
        say(message, message_size, "DICOM frame has no values to window");
        return -1;
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

extern "C" int phantom_dicom_write_synthetic(const char *path, const void *pixels, int32_t columns, int32_t rows,
                                             int32_t bits, const phantom_dicom_synthetic *identity,
                                             char *message, size_t message_size) {
    prepareToolkit();
    if (columns <= 0 || rows <= 0 || columns > 65535 || rows > 65535 || (bits != 8 && bits != 16)) {
        say(message, message_size, "DICOM images need 1..65535 rows and columns of 8 or 16 bits");
        return -1;
    }
    DcmFileFormat file;
    DcmDataset *ds = file.getDataset();
    OFCondition status = EC_Normal;
    auto text = [&](const DcmTagKey &tag, const char *value) {
        if (status.good()) status = ds->putAndInsertString(tag, value);
    };
    auto number = [&](const DcmTagKey &tag, Uint16 value) {
        if (status.good()) status = ds->putAndInsertUint16(tag, value);
    };
    char seriesNumber[16], instanceNumber[16];
    std::snprintf(seriesNumber, sizeof seriesNumber, "%d", static_cast<int>(identity->series_number));
    std::snprintf(instanceNumber, sizeof instanceNumber, "%d", static_cast<int>(identity->instance_number));
    // SOP Common, Patient, General Study (type 2 elements present and empty: no identity).
    text(DCM_SOPClassUID, UID_SecondaryCaptureImageStorage);
    text(DCM_SOPInstanceUID, identity->instance_uid);
    text(DCM_PatientName, "SYNTHETIC^PHANTOM");
    text(DCM_PatientID, "SYNTHETIC");
    text(DCM_PatientBirthDate, "");
    text(DCM_PatientSex, "");
    text(DCM_PatientIdentityRemoved, "YES");
    text(DCM_DeidentificationMethod, "synthetic image: no patient was imaged");
    text(DCM_StudyInstanceUID, identity->study_uid);
    text(DCM_StudyDate, "");
    text(DCM_StudyTime, "");
    text(DCM_ReferringPhysicianName, "");
    text(DCM_StudyID, "SYNTHETIC");
    text(DCM_AccessionNumber, "");
    text(DCM_StudyDescription, "SYNTHETIC IMAGES (Phantom)");
    // General Series, SC Equipment, General Image.
    text(DCM_Modality, "OT");
    text(DCM_SeriesInstanceUID, identity->series_uid);
    text(DCM_SeriesNumber, seriesNumber);
    text(DCM_SeriesDescription, identity->series_description);
    text(DCM_Laterality, "");
    text(DCM_ConversionType, "SYN");
    text(DCM_Manufacturer, "Phantom");
    text(DCM_SecondaryCaptureDeviceManufacturer, "Phantom");
    text(DCM_SecondaryCaptureDeviceSoftwareVersions, identity->software_version);
    text(DCM_InstanceNumber, instanceNumber);
    text(DCM_PatientOrientation, "");
    text(DCM_ImageType, "DERIVED\\SECONDARY");
    text(DCM_DerivationDescription, identity->derivation);
    text(DCM_ImageComments, identity->derivation);
    text(DCM_BurnedInAnnotation, "NO");
    // Image Pixel.
    number(DCM_SamplesPerPixel, 1);
    text(DCM_PhotometricInterpretation, "MONOCHROME2");
    number(DCM_Rows, static_cast<Uint16>(rows));
    number(DCM_Columns, static_cast<Uint16>(columns));
    number(DCM_BitsAllocated, static_cast<Uint16>(bits));
    number(DCM_BitsStored, static_cast<Uint16>(bits));
    number(DCM_HighBit, static_cast<Uint16>(bits - 1));
    number(DCM_PixelRepresentation, 0);
    const unsigned long count = static_cast<unsigned long>(columns) * static_cast<unsigned long>(rows);
    if (status.good()) {
        status = bits == 8
            ? ds->putAndInsertUint8Array(DCM_PixelData, static_cast<const Uint8 *>(pixels), count)
            : ds->putAndInsertUint16Array(DCM_PixelData, static_cast<const Uint16 *>(pixels), count);
    }
    if (status.good()) status = file.saveFile(path, EXS_LittleEndianExplicit);
    if (status.bad()) {
        char text[200];
        std::snprintf(text, sizeof text, "cannot write the DICOM file (%s)", status.text());
        say(message, message_size, text);
        return -1;
    }
    return 0;
}

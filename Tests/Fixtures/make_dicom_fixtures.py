#!/usr/bin/env python3
"""Makes the DICOM reader's fixtures: small DICOM files (pydicom 3.0.2, DCMTK's dcmcjpeg
for JPEG lossless) and the display values each must give, computed by pydicom's
modality LUT and VOI windowing (DICOM PS3.3 C.11.1 and C.11.2.1.2).

    /tmp/phantom-venv/bin/python Tests/Fixtures/make_dicom_fixtures.py

Writes Tests/Fixtures/dicom/*.dcm and expected.json. An expected frame is the windowed
value scaled to the output's range (0..255 for 8-bit samples, 0..65535 for images whose
samples have more than 8 bits), inverted for MONOCHROME1; colour is Rec. 709 luminance.
"""
import json
import os
import subprocess

import numpy as np
import pydicom
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.pixels import apply_modality_lut, apply_voi_lut
from pydicom.uid import ExplicitVRLittleEndian, RLELossless, generate_uid

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "dicom")


def dataset(pixels, *, signed=False, bits_stored=None, photometric="MONOCHROME2", window=None,
            slope=None, intercept=None, frames=None):
    """A Secondary Capture image with the given pixel array and no patient data."""
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.file_meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.7"
    ds.file_meta.MediaStorageSOPInstanceUID = generate_uid(entropy_srcs=["phantom", str(pixels.tobytes()[:64])])
    ds.SOPClassUID = ds.file_meta.MediaStorageSOPClassUID
    ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID
    ds.Modality = "OT"
    colour = photometric == "RGB"
    ds.SamplesPerPixel = 3 if colour else 1
    ds.PhotometricInterpretation = photometric
    if colour:
        ds.PlanarConfiguration = 0
    shape = pixels.shape
    ds.Rows, ds.Columns = (shape[1], shape[2]) if frames else (shape[0], shape[1])
    if frames:
        ds.NumberOfFrames = frames
    allocated = pixels.dtype.itemsize * 8
    ds.BitsAllocated = allocated
    ds.BitsStored = bits_stored or allocated
    ds.HighBit = ds.BitsStored - 1
    ds.PixelRepresentation = 1 if signed else 0
    if window:
        ds.WindowCenter, ds.WindowWidth = window
    if slope is not None:
        ds.RescaleSlope, ds.RescaleIntercept = slope, intercept
    ds.PixelData = pixels.tobytes()
    return ds


def expected(ds, window=None, bits=None):
    """pydicom's display values, scaled to Phantom's output range."""
    array = ds.pixel_array.astype(np.float64)
    if ds.SamplesPerPixel == 3:
        array = array @ np.array([0.2126, 0.7152, 0.0722])
    else:
        array = apply_modality_lut(array, ds)
    if window:
        center, width = window
        low, high = 0.0, 1.0
        x = array
        # PS3.3 C.11.2.1.2.1, linear: y = ((x - (c - 0.5)) / (w - 1) + 0.5), clipped to [0, 1]
        y = np.clip((x - (center - 0.5)) / (width - 1) + 0.5, low, high)
    else:
        y = apply_voi_lut(array, ds, index=0)
        stored = ds.BitsStored
        lo, hi = (-(2 ** (stored - 1)), 2 ** (stored - 1) - 1) if ds.PixelRepresentation else (0, 2 ** stored - 1)
        y = (y - lo) / (hi - lo)
    if ds.PhotometricInterpretation == "MONOCHROME1":
        y = 1 - y
    bits = bits or (16 if ds.BitsStored > 8 else 8)
    values = np.rint(y * (2 ** bits - 1)).astype(int)
    frames = values if values.ndim == 3 else values[None]
    return bits, [frame.flatten().tolist() for frame in frames]


def main():
    os.makedirs(OUT, exist_ok=True)
    cases = {}

    def save(name, ds, window_option="file", reference_window=None, transfer=None):
        path = os.path.join(OUT, name + ".dcm")
        if transfer == RLELossless:
            ds = ds.copy()
            ds.compress(RLELossless, generate_instance_uid=False)
        ds.save_as(path, enforce_file_format=True)
        bits, frames = expected(pydicom.dcmread(path), reference_window)
        cases[name] = {"file": name + ".dcm", "window": window_option, "bits": bits,
                       "columns": int(ds.Columns), "rows": int(ds.Rows), "frames": frames}
        return path

    # CT: signed 16-bit, HU = stored - 1024, the file's window 40/400 (soft tissue).
    y, x = np.mgrid[0:16, 0:20]
    hu = (-1024 + 3000 * (x + 20 * y) / 319.0).astype(np.int16)
    ct = dataset((hu + 1024).astype(np.int16), signed=True, window=(40, 400), slope=1, intercept=-1024)
    ct_path = save("ct_window_file", ct, "file", (40, 400))
    # The same file read with a fixed brain window 40/80.
    cases["ct_window_fixed"] = dict(cases["ct_window_file"], window="40,80",
                                    frames=expected(pydicom.dcmread(ct_path), (40, 80))[1])
    # JPEG lossless (process 14, SV1) of the CT, by DCMTK's dcmcjpeg: the same values.
    subprocess.run(["dcmcjpeg", "+e1", ct_path, os.path.join(OUT, "ct_jpeg_lossless.dcm")], check=True)
    cases["ct_jpeg_lossless"] = dict(cases["ct_window_file"], file="ct_jpeg_lossless.dcm")

    # 12 bits stored in 16, rescale slope 2 and intercept -100, window 1000/2000.
    raw = (np.arange(12 * 10).reshape(12, 10) * 34).astype(np.uint16)
    save("slope_12bit", dataset(raw, bits_stored=12, window=(1000, 2000), slope=2, intercept=-100), "file", (1000, 2000))

    # MONOCHROME1 (stored inverted), 8-bit, window 128/256.
    ramp = (np.arange(8 * 8).reshape(8, 8) * 4).astype(np.uint8)
    save("mono1_8bit", dataset(ramp, photometric="MONOCHROME1", window=(128, 256)), "file", (128, 256))

    # Three frames, 8-bit, window 128/256; and the same RLE-compressed.
    stack = np.stack([(ramp + 20 * k).astype(np.uint8) for k in range(3)])
    multi = dataset(stack, window=(128, 256), frames=3)
    save("multiframe_8bit", multi, "file", (128, 256))
    save("multiframe_rle", multi, "file", (128, 256), transfer=RLELossless)

    # RGB, read with a fixed window 127.5/256 (the identity on 0..255 luminance).
    rgb = np.zeros((6, 5, 3), np.uint8)
    rgb[..., 0] = np.arange(30).reshape(6, 5) * 8
    rgb[..., 1] = 255 - np.arange(30).reshape(6, 5) * 5
    rgb[..., 2] = 60
    save("rgb_8bit", dataset(rgb, photometric="RGB"), "127.5,256", (127.5, 256))

    # No window in the file: read with the auto (percentile) window; only properties are checked.
    mr = (np.arange(10 * 10).reshape(10, 10) * 40).astype(np.uint16)
    mr[0, 0] = 65000   # one extreme pixel the percentile window ignores
    path = os.path.join(OUT, "mr_no_window.dcm")
    dataset(mr).save_as(path, enforce_file_format=True)
    cases["mr_no_window"] = {"file": "mr_no_window.dcm", "window": "file", "bits": 16, "columns": 10, "rows": 10,
                             "frames": None}

    # Real scans from pydicom's test data (NEMA WG04 samples, downsized): a CT with its own
    # CT and a 16-bit MR, neither with a window of its own, read with fixed ones.
    from pydicom.data import get_testdata_file
    import shutil
    for name, window_option, window in [("CT_small", "40,400", (40, 400)), ("MR_small", "600,1200", (600, 1200))]:
        path = os.path.join(OUT, name + ".dcm")
        shutil.copyfile(get_testdata_file(name + ".dcm"), path)
        ds = pydicom.dcmread(path)
        bits, frames = expected(ds, window)
        cases[name] = {"file": name + ".dcm", "window": window_option, "bits": bits,
                       "columns": int(ds.Columns), "rows": int(ds.Rows), "frames": frames}

    # No pixel data (a DICOM object that is not an image).
    report = Dataset()
    report.file_meta = FileMetaDataset()
    report.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    report.file_meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.88.11"
    report.file_meta.MediaStorageSOPInstanceUID = "1.2.3.4.5"
    report.SOPClassUID = report.file_meta.MediaStorageSOPClassUID
    report.SOPInstanceUID = "1.2.3.4.5"
    report.Modality = "SR"
    report.save_as(os.path.join(OUT, "no_pixels.dcm"), enforce_file_format=True)

    with open(os.path.join(OUT, "expected.json"), "w") as handle:
        json.dump(cases, handle, separators=(",", ":"), sort_keys=True)
    print("wrote", len(cases), "cases to", OUT)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Check phantom's Hounsfield windowing of the medimg CT against numpy, through NIfTI and DICOM.

    check_ct_window.py CACHE PHANTOM WORK

CACHE is make_medimg.sh's cache (after a build: CACHE/volumes/ct/ct0051.nii). The script
1. computes the expected axial slices from the raw int16 HU with the brain window of the
   PNG pipeline (centre 40, width 400: -160..240 HU -> 0..1), in phantom's display
   orientation (anterior at the top, the patient's left on the image's right);
2. has phantom export the axial slices of the NIfTI volume at their native 256x256
   (`--window 40,400 --min-foreground 0`);
3. writes the same volume as a DICOM CT series (pydicom: one file per slice, stored
   values HU + 1024 with Rescale Intercept -1024, no window in the files), has phantom
   export it with `--window 40,400`, and compares both exports with the expectation.

Needs numpy, pillow and pydicom (Tests/Fixtures/requirements.txt has them).
"""
import os
import subprocess
import sys

import numpy as np
import pydicom
from PIL import Image
from pydicom.dataset import FileDataset, FileMetaDataset
from pydicom.uid import CTImageStorage, ExplicitVRLittleEndian, generate_uid


def main(cache: str, phantom: str, work: str) -> int:
    raw = open(os.path.join(cache, "volumes/ct/ct0051.nii"), "rb").read()
    nx, ny, nz = np.frombuffer(raw[42:48], "<i2")
    hu = np.frombuffer(raw[352:], "<i2").reshape(nz, ny, nx).astype(np.float64)  # [k, j, i]
    # i runs towards the patient's left, j anterior: display rows top = anterior (j descending),
    # columns left -> right = patient right -> left (i ascending).
    display = hu[:, ::-1, :]
    expected = np.clip((display + 160) / 400, 0, 1)

    # 1. NIfTI
    stage = os.path.join(work, "nifti/ct")
    os.makedirs(stage, exist_ok=True)
    link = os.path.join(stage, "ct0051.nii")
    if not os.path.exists(link):
        os.symlink(os.path.join(cache, "volumes/ct/ct0051.nii"), link)
    # 2. DICOM series
    series = os.path.join(work, "dicom/ct")
    os.makedirs(series, exist_ok=True)
    study, frame = generate_uid(), generate_uid()
    for k in range(nz):
        meta = FileMetaDataset()
        meta.MediaStorageSOPClassUID = CTImageStorage
        meta.MediaStorageSOPInstanceUID = generate_uid()
        meta.TransferSyntaxUID = ExplicitVRLittleEndian
        ds = FileDataset(None, {}, file_meta=meta, preamble=b"\0" * 128)
        ds.SOPClassUID, ds.SOPInstanceUID = CTImageStorage, meta.MediaStorageSOPInstanceUID
        ds.StudyInstanceUID, ds.SeriesInstanceUID, ds.FrameOfReferenceUID = study, generate_uid(), frame
        ds.Modality, ds.InstanceNumber = "CT", k + 1
        ds.Rows, ds.Columns = int(ny), int(nx)
        ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
        ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 16, 15, 0
        ds.RescaleIntercept, ds.RescaleSlope = -1024, 1
        ds.PixelData = (display[k] + 1024).astype("<u2").tobytes()
        ds.save_as(os.path.join(series, f"IM{k + 1:04d}"), enforce_file_format=True)

    worst = 0.0
    for name, folder, extra in (("NIfTI", os.path.join(work, "nifti"), ["--min-foreground", "0"]),
                                ("DICOM", os.path.join(work, "dicom"), [])):
        out = os.path.join(work, f"export-{name}")
        subprocess.run(["rm", "-rf", out], check=True)
        subprocess.run([phantom, "dataset", folder, "--resolution", str(nx), "--window", "40,400", *extra,
                        "--export", out], check=True, stdout=subprocess.DEVNULL)
        rows = [line.split(",") for line in open(os.path.join(out, "manifest.csv")).read().splitlines()[1:]]
        assert len(rows) == nz, f"{name}: {len(rows)} slices, expected {nz}"
        differences = []
        for index, (file, _, source) in enumerate(rows):
            k = int(source.split("-")[-1]) if "#" in source else int(source.split("IM")[-1]) - 1
            got = np.asarray(Image.open(os.path.join(out, file)), dtype=np.float64) / 65535
            differences.append(np.abs(got - expected[k]).max())
        largest = max(differences)
        worst = max(worst, largest)
        print(f"{name}: {nz} axial slices, largest difference from numpy's window "
              f"{largest:.5f} of the range ({largest * 255:.2f} of 255 grey levels)")
    return 0 if worst * 255 <= 1 else 1


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit(__doc__.strip().splitlines()[2].strip())
    sys.exit(main(*sys.argv[1:]))

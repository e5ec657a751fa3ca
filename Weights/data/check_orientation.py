#!/usr/bin/env python3
"""Check that phantom cuts the MNI/Colin27 templates in the orientation it documents.

    check_orientation.py CACHE PHANTOM WORK

CACHE is make_medimg.sh's cache (CACHE/volumes/mri/*.nii.gz). For each template and
plane, nibabel (the reference NIfTI reader) turns the volume to RAS+ and cuts the middle
slice in the display orientation phantom documents (``AnatomicalPlane``):

    axial     rows: anterior -> posterior    columns: patient right -> left
    coronal   rows: superior -> inferior     columns: patient right -> left
    sagittal  rows: superior -> inferior     columns: anterior -> posterior

Each template is also stored a second time in another voxel order (PIR: i posterior,
j inferior, k right, with a matching affine), which must not change what phantom gives.
phantom exports every slice at native size (`--fit pad`, the resolution of the padded
square); the middle slice must correlate with nibabel's at > 0.99 and better than with
any of its three flips (a flip that leaves nibabel's slice unchanged, as left-right does
for the symmetric mni09a, cannot be told apart and is not counted).

Needs numpy, pillow and nibabel.
"""
import os
import subprocess
import sys

import nibabel as nib
import numpy as np
from PIL import Image

DISPLAY = {  # (stack axis, row axis, column axis) in RAS voxel axes; rows/columns reversed
    "axial": (2, 1, 0),
    "coronal": (1, 2, 0),
    "sagittal": (0, 2, 1),
}


def expected_slice(ras: np.ndarray, plane: str, index: int) -> np.ndarray:
    stack, row, column = DISPLAY[plane]
    moved = np.moveaxis(ras, (stack, row, column), (0, 1, 2))[index]
    return moved[::-1, ::-1]  # rows from anterior/superior, columns from right/anterior


def correlation(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.corrcoef(a.ravel(), b.ravel())[0, 1])


def main(cache: str, phantom: str, work: str) -> int:
    failures = 0
    for path in sorted(os.listdir(os.path.join(cache, "volumes/mri"))):
        image = nib.load(os.path.join(cache, "volumes/mri", path))
        ras = nib.as_closest_canonical(image)
        data = np.asarray(ras.dataobj, dtype=np.float64)
        # The same volume in PIR voxel order.
        pir = ras.as_reoriented(nib.orientations.ornt_transform(nib.orientations.axcodes2ornt("RAS"),
                                                                nib.orientations.axcodes2ornt("PIR")))
        name = path.split(".")[0]
        for variant, volume in (("as-shipped", image), ("PIR", pir)):
            for plane in DISPLAY:
                stack, row, column = DISPLAY[plane]
                side = max(data.shape[row], data.shape[column])
                folder = os.path.join(work, f"{name}-{variant}-{plane}")
                subprocess.run(["rm", "-rf", folder], check=True)
                os.makedirs(os.path.join(folder, "in/c"))
                nib.save(volume, os.path.join(folder, "in/c/v.nii.gz"))
                subprocess.run([phantom, "dataset", os.path.join(folder, "in"), "--planes", plane, "--fit", "pad",
                                "--min-foreground", "0", "--resolution", str(side), "--export",
                                os.path.join(folder, "out")], check=True, stdout=subprocess.DEVNULL)
                middle = data.shape[stack] // 2
                got = np.asarray(Image.open(os.path.join(folder, f"out/c/v-{plane}-{middle:03d}.png")), dtype=np.float64)
                want = expected_slice(data, plane, middle)
                top, left = (side - want.shape[0]) // 2, (side - want.shape[1]) // 2
                got = got[top:top + want.shape[0], left:left + want.shape[1]]
                # A flip that maps the expected slice onto itself (mni09a is exactly left-right
                # symmetric) cannot be told apart, and is left out.
                flips = [f for f in (np.flipud, np.fliplr, lambda a: a[::-1, ::-1])
                         if correlation(want, f(want)) < 0.9999]
                flipped = max(correlation(got, f(want)) for f in flips)
                right = correlation(got, want)
                ok = right > 0.99 and right > flipped
                failures += not ok
                print(f"{name:8} {variant:10} {plane:8} slice {middle:3}: correlation {right:.4f} "
                      f"(best of {len(flips)} distinguishable flips {flipped:.4f}) {'ok' if ok else 'WRONG'}")
    return 1 if failures else 0


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit(__doc__.strip().splitlines()[2].strip())
    sys.exit(main(*sys.argv[1:]))

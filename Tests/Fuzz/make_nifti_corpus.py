#!/usr/bin/env python3
"""Writes the NIfTI seed corpus under Tests/Fuzz/corpus/nifti/ (stdlib only).

Small single-file volumes: NIfTI-1 and NIfTI-2, little- and big-endian, several
datatypes, method-1 / qform / sform orientations, a 4-D file, and gzip copies (mtime 0,
so re-running rewrites the same bytes).
"""
import gzip
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
FOLDER = os.path.join(HERE, "corpus", "nifti")
FORMATS = {2: "B", 4: "h", 8: "i", 16: "f", 64: "d", 256: "b", 512: "H"}


def nifti(shape, values, datatype=4, version=1, endian="<", spacing=(1, 1, 1), qfac=1.0,
          qform=0, quatern=(0, 0, 0), sform=0, srows=None, slope=1.0, inter=0.0):
    size = struct.calcsize(FORMATS[datatype])
    dims = [len(shape)] + list(shape) + [1] * (7 - len(shape))
    pixdim = [qfac] + list(spacing) + [1] * (7 - len(spacing))
    srows = srows or [[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0]]
    if version == 1:
        header = bytearray(352)
        struct.pack_into(endian + "i", header, 0, 348)
        struct.pack_into(endian + "8h", header, 40, *dims)
        struct.pack_into(endian + "hh", header, 70, datatype, size * 8)
        struct.pack_into(endian + "8f", header, 76, *pixdim)
        struct.pack_into(endian + "3f", header, 108, 352, slope, inter)
        struct.pack_into(endian + "hh", header, 252, qform, sform)
        struct.pack_into(endian + "6f", header, 256, *quatern, 10, -20, 30)
        struct.pack_into(endian + "12f", header, 280, *[v for row in srows for v in row])
        header[344:348] = b"n+1\0"
    else:
        header = bytearray(544)
        struct.pack_into(endian + "i", header, 0, 540)
        header[4:12] = b"n+2\0\r\n\x1a\n"
        struct.pack_into(endian + "hh", header, 12, datatype, size * 8)
        struct.pack_into(endian + "8q", header, 16, *dims)
        struct.pack_into(endian + "8d", header, 104, *pixdim)
        struct.pack_into(endian + "q", header, 168, 544)
        struct.pack_into(endian + "2d", header, 176, slope, inter)
        struct.pack_into(endian + "ii", header, 344, qform, sform)
        struct.pack_into(endian + "6d", header, 352, *quatern, 10, -20, 30)
        struct.pack_into(endian + "12d", header, 400, *[v for row in srows for v in row])
    data = struct.pack(endian + FORMATS[datatype] * len(values), *values)
    return bytes(header) + data


def write(name, data):
    os.makedirs(FOLDER, exist_ok=True)
    with open(os.path.join(FOLDER, name), "wb") as handle:
        handle.write(data)


def ramp(count, scale=1):
    return [(index * 37 % 101) * scale for index in range(count)]


def sphere(n, inside, outside=0):
    return [inside if (x - n / 2) ** 2 + (y - n / 2) ** 2 + (z - n / 2) ** 2 < (n / 3) ** 2 else outside
            for z in range(n) for y in range(n) for x in range(n)]


if __name__ == "__main__":
    seeds = {
        "int16_method1.nii": nifti((4, 3, 2), ramp(24)),
        "int16_qform_ras.nii": nifti((5, 4, 3), ramp(60), qform=1, spacing=(1, 1, 3)),
        "float32_be_sform_lps.nii": nifti((3, 3, 3), ramp(27, 0.5), datatype=16, endian=">", sform=2,
                                          srows=[[-1, 0, 0, 5], [0, -1, 0, 5], [0, 0, 1, 0]]),
        "uint8_v2_qfac.nii": nifti((4, 4, 2), ramp(32), datatype=2, version=2, qform=1, qfac=-1,
                                   quatern=(0.5, 0.5, 0.5)),
        "int16_4d.nii": nifti((2, 2, 2, 2), ramp(16), qform=1, slope=2, inter=-10),
        "uint8_sphere.nii": nifti((8, 8, 8), sphere(8, 200, 3), datatype=2, spacing=(0.5, 0.5, 2)),
        "float64_v2_be.nii": nifti((2, 3, 4), ramp(24, 0.25), datatype=64, version=2, endian=">", sform=1,
                                   srows=[[0, 0, 2, 0], [1, 0, 0, 0], [0, 1, 0, 0]]),
        "uint16_oblique.nii": nifti((3, 4, 2), ramp(24, 3), datatype=512, sform=4,
                                    srows=[[0.94, -0.34, 0, 0], [0.34, 0.94, 0, 0], [0, 0, 1, 0]]),
    }
    for name, data in seeds.items():
        write(name, data)
    for name in ["int16_qform_ras.nii", "uint8_sphere.nii", "float64_v2_be.nii"]:
        write(name + ".gz", gzip.compress(seeds[name], compresslevel=9, mtime=0))
    total = sum(os.path.getsize(os.path.join(FOLDER, name)) for name in os.listdir(FOLDER))
    print(f"nifti corpus: {len(os.listdir(FOLDER))} files, {total} bytes")

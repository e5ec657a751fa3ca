#!/usr/bin/env python3
"""Writes the JPEG and TIFF fixtures of PhantomImagingTests (Tests/Fixtures/images/)
and the seed corpora of the jpeg and tiff fuzz harnesses (Tests/Fuzz/corpus/{jpeg,tiff}/).

The files are made by encoders independent of the code under test: Pillow (its own
libjpeg-turbo and libtiff builds) and tifffile (pure Python). Pixel values follow the
formulas below, which the Swift tests recompute, so no expected-pixel files are needed:

    pattern8(x, y)  = (7x + 13y + 5) mod 256
    pattern16(x, y) = (2017x + 4099y + 7) mod 65536
    smooth(x, y)    = 20 + 4x + 3y                         (JPEG gray, 32x24)
    bands(x, y)     = COLOURS[x // 8]                      (colour JPEG / TIFF, 32x16)
    rgb(x, y)       = (25x mod 256, 40y mod 256, 15(x+y) mod 256)
    alpha(x, y)     = 28x mod 256

Environment (outside the repository):
    python3 -m venv /tmp/formats-venv
    /tmp/formats-venv/bin/pip install pillow==13.0.0 numpy==2.4.6 tifffile==2026.3.3
    /tmp/formats-venv/bin/python Tests/Fixtures/make_image_fixtures.py
Re-running with these versions rewrites the same bytes.
"""
import io
import os

import numpy as np
import tifffile
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
IMAGES = os.path.join(HERE, "images")
CORPUS = os.path.join(HERE, "..", "Fuzz", "corpus")

COLOURS = [(200, 30, 30), (30, 200, 30), (30, 30, 200), (128, 128, 128)]
PALETTE = [(0, 0, 0), (255, 0, 0), (0, 255, 0), (40, 80, 160)]


def grid(width, height):
    y, x = np.mgrid[0:height, 0:width]
    return x.astype(np.int64), y.astype(np.int64)


def pattern8(width, height):
    x, y = grid(width, height)
    return ((7 * x + 13 * y + 5) % 256).astype(np.uint8)


def pattern16(width, height):
    x, y = grid(width, height)
    return ((2017 * x + 4099 * y + 7) % 65536).astype(np.uint16)


def smooth(width, height):
    x, y = grid(width, height)
    return (20 + 4 * x + 3 * y).astype(np.uint8)


def bands(width, height):
    x, _ = grid(width, height)
    out = np.zeros((height, width, 3), np.uint8)
    for index, colour in enumerate(COLOURS):
        out[(x // 8) == index] = colour
    return out


def rgb(width, height):
    x, y = grid(width, height)
    return np.stack([(25 * x) % 256, (40 * y) % 256, (15 * (x + y)) % 256], axis=-1).astype(np.uint8)


def alpha(width, height):
    x, _ = grid(width, height)
    return ((28 * x) % 256).astype(np.uint8)


def pillow(image, **options):
    buffer = io.BytesIO()
    image.save(buffer, **options)
    return buffer.getvalue()


def tiff(pages, **common):
    """`pages` is a list of (array, options) written as consecutive IFDs."""
    buffer = io.BytesIO()
    with tifffile.TiffWriter(buffer, byteorder=common.pop("byteorder", "<")) as writer:
        for array, options in pages:
            writer.write(array, **{**common, **options})
    return buffer.getvalue()


def palette_image(width, height):
    x, y = grid(width, height)
    image = Image.fromarray(((x + 2 * y) % 4).astype(np.uint8), mode="P")
    image.putpalette([v for colour in PALETTE for v in colour] + [0] * (768 - 3 * len(PALETTE)))
    return image


def fixtures():
    f = {}
    # JPEG
    f["jpeg_gray.jpg"] = pillow(Image.fromarray(smooth(32, 24), mode="L"), format="JPEG", quality=95)
    f["jpeg_rgb444.jpg"] = pillow(Image.fromarray(bands(32, 16), mode="RGB"), format="JPEG", quality=95, subsampling=0)
    f["jpeg_rgb420_progressive.jpg"] = pillow(
        Image.fromarray(bands(32, 16), mode="RGB"), format="JPEG", quality=90, progressive=True)
    # TIFF, grey, exact
    f["tiff_gray8_strips.tif"] = tiff([(pattern8(13, 9), dict(rowsperstrip=4))], photometric="minisblack")
    f["tiff_gray8_lzw.tif"] = pillow(Image.fromarray(pattern8(13, 9), mode="L"), format="TIFF", compression="tiff_lzw")
    f["tiff_gray16_strips.tif"] = tiff(
        [(pattern16(40, 24), dict(rowsperstrip=7, compression="zlib", predictor=True))],
        byteorder=">", photometric="minisblack")
    f["tiff_gray16_tiles.tif"] = tiff([(pattern16(40, 24), dict(tile=(16, 16)))], photometric="minisblack")
    f["tiff_miniswhite.tif"] = tiff([(pattern8(13, 9), {})], photometric="miniswhite")
    f["tiff_int16.tif"] = tiff([(np.array([[-1024, 0, 3071, -32768]], np.int16), {})], photometric="minisblack")
    values = (-2.5 + 0.5 * np.arange(32)).astype(np.float32)
    values[0], values[1], values[2] = np.nan, np.inf, -np.inf
    f["tiff_float32.tif"] = tiff([(values.reshape(4, 8), {})], photometric="minisblack")
    # Three pages, with a reduced-resolution copy (a thumbnail) between the first two.
    f["tiff_multipage.tif"] = tiff([
        (pattern8(6, 4), {}),
        (np.full((2, 3), 255, np.uint8), dict(subfiletype=1)),
        (pattern16(5, 5), {}),
        (np.full((6, 4), 77, np.uint8), {}),
    ], photometric="minisblack")
    # TIFF, colour
    f["tiff_rgb8_planar.tif"] = tiff([(np.moveaxis(rgb(10, 6), -1, 0), dict(planarconfig="separate"))],
                                     photometric="rgb")
    rgba = np.concatenate([rgb(10, 6), alpha(10, 6)[..., None]], axis=-1)
    f["tiff_rgba8.tif"] = tiff([(rgba, dict(extrasamples=["unassalpha"]))], photometric="rgb")
    # Through libtiff's RGBA interface: palette, and YCbCr JPEG-in-TIFF.
    f["tiff_palette.tif"] = pillow(palette_image(8, 4), format="TIFF")
    f["tiff_ycbcr_jpeg.tif"] = pillow(
        Image.fromarray(bands(32, 16), mode="RGB").convert("YCbCr"), format="TIFF", compression="jpeg")
    # RGB JPEG-in-TIFF is read natively (scanlines through libtiff's JPEG codec).
    f["tiff_rgb_jpeg.tif"] = pillow(Image.fromarray(bands(32, 16), mode="RGB"), format="TIFF", compression="jpeg")
    return f


def seeds():
    """Small inputs (under the fuzzers' 4096-byte max_len) covering each decoder path."""
    jpeg = {
        "gray.jpg": pillow(Image.fromarray(smooth(8, 8), mode="L"), format="JPEG", quality=80),
        "gray_progressive.jpg": pillow(Image.fromarray(smooth(16, 8), mode="L"), format="JPEG", progressive=True),
        "rgb444.jpg": pillow(Image.fromarray(rgb(8, 8), mode="RGB"), format="JPEG", subsampling=0),
        "rgb422.jpg": pillow(Image.fromarray(rgb(16, 8), mode="RGB"), format="JPEG", subsampling=1),
        "rgb420_optimized.jpg": pillow(Image.fromarray(rgb(16, 16), mode="RGB"), format="JPEG", optimize=True),
        "rgb420_progressive.jpg": pillow(Image.fromarray(rgb(16, 16), mode="RGB"), format="JPEG", progressive=True),
        "cmyk.jpg": pillow(Image.fromarray(rgb(8, 8), mode="RGB").convert("CMYK"), format="JPEG"),
    }
    tiffs = {
        "gray8_strips.tif": tiff([(pattern8(8, 8), dict(rowsperstrip=3))], photometric="minisblack"),
        "gray8_lzw.tif": pillow(Image.fromarray(pattern8(8, 8), mode="L"), format="TIFF", compression="tiff_lzw"),
        "gray16_be_zlib.tif": tiff([(pattern16(8, 8), dict(compression="zlib", predictor=True))],
                                   byteorder=">", photometric="minisblack"),
        "gray16_tiles.tif": tiff([(pattern16(20, 8), dict(tile=(16, 16)))], photometric="minisblack"),
        "miniswhite.tif": tiff([(pattern8(8, 4), {})], photometric="miniswhite"),
        "int16.tif": tiff([(np.array([[-1024, 0, 3071, -32768]], np.int16), {})], photometric="minisblack"),
        "float32.tif": tiff([(np.linspace(-1, 1, 16, dtype=np.float32).reshape(4, 4), {})], photometric="minisblack"),
        "float64.tif": tiff([(np.linspace(-1, 1, 16, dtype=np.float64).reshape(4, 4), {})], photometric="minisblack"),
        "multipage.tif": tiff([(pattern8(4, 4), {}), (np.full((2, 2), 9, np.uint8), dict(subfiletype=1)),
                               (pattern16(3, 5), {})], photometric="minisblack"),
        "rgb8_planar.tif": tiff([(np.moveaxis(rgb(6, 4), -1, 0), dict(planarconfig="separate"))], photometric="rgb"),
        "rgba8.tif": tiff([(np.concatenate([rgb(6, 4), alpha(6, 4)[..., None]], axis=-1),
                            dict(extrasamples=["unassalpha"]))], photometric="rgb"),
        "palette.tif": pillow(palette_image(8, 4), format="TIFF"),
        "bilevel_group4.tif": pillow(Image.fromarray(pattern8(16, 8) > 128).convert("1"), format="TIFF",
                                     compression="group4"),
        "rgb_jpeg.tif": pillow(Image.fromarray(rgb(16, 16), mode="RGB"), format="TIFF", compression="jpeg"),
        "ycbcr_jpeg.tif": pillow(Image.fromarray(rgb(16, 16), mode="RGB").convert("YCbCr"), format="TIFF",
                                 compression="jpeg"),
    }
    return {"jpeg": jpeg, "tiff": tiffs}


def write(folder, name, data):
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, name), "wb") as handle:
        handle.write(data)
    print(f"{len(data):6d}  {os.path.relpath(os.path.join(folder, name), os.path.join(HERE, '..', '..'))}")


def main():
    total = 0
    for name, data in sorted(fixtures().items()):
        write(IMAGES, name, data)
        total += len(data)
    for harness, files in seeds().items():
        for name, data in sorted(files.items()):
            assert len(data) <= 4096, name
            write(os.path.join(CORPUS, harness), name, data)
            total += len(data)
    print(f"{total} bytes in all")


if __name__ == "__main__":
    main()

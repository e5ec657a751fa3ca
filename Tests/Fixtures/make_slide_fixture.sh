#!/usr/bin/env bash
# Makes Tests/Fixtures/images/slide_pyramid.tif: a 512×512 RGB "slide" (two pink-grey tissue
# discs on bright glass) saved by libvips as a tiled pyramidal TIFF (64-pixel tiles, deflate),
# which OpenSlide reads as a generic-tiff slide with 4 levels. Needs python3 and vips
# (Debian: libvips-tools).
set -euo pipefail
OUT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/images/slide_pyramid.tif"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
python3 - "$WORK/slide.png" <<'PY'
import math, struct, sys, zlib
W = H = 512
rows = []
for y in range(H):
    row = bytearray()
    for x in range(W):
        if math.hypot(x - 150, y - 150) < 90 or math.hypot(x - 350, y - 330) < 75:
            v = 110 + int(40 * math.sin(x * 0.1) * math.cos(y * 0.13))
            row += bytes((min(255, v + 60), v, min(255, v + 40)))
        else:
            row += bytes((245, 245, 245))
    rows.append(b"\x00" + bytes(row))
def chunk(kind, payload):
    body = kind + payload
    return struct.pack(">I", len(payload)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)
with open(sys.argv[1], "wb") as handle:
    handle.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", W, H, 8, 2, 0, 0, 0))
                 + chunk(b"IDAT", zlib.compress(b"".join(rows), 9)) + chunk(b"IEND", b""))
PY
vips tiffsave "$WORK/slide.png" "$OUT" --tile --pyramid --tile-width 64 --tile-height 64 --compression deflate
echo "wrote $OUT"

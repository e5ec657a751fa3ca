#!/usr/bin/env python3
"""Writes the inputs of the reliability scripts' tiny training runs (stdlib only).

    tiny_run_inputs.py WORK [IMAGES_PER_CLASS]

WORK/data/{normal,finding}/<i>.png: IMAGES_PER_CLASS (default 4) gray 16×16 PNGs per
class, sine patterns that differ by class and image; WORK/unet.json: a two-level 16×16
class-conditional UNet2DModel config (8 and 16 channels, attention at the second level).
"""
import json
import math
import os
import struct
import sys
import zlib

UNET = {
    "_class_name": "UNet2DModel", "sample_size": 16, "in_channels": 1, "out_channels": 1,
    "block_out_channels": [8, 16], "layers_per_block": 1, "norm_num_groups": 4, "attention_head_dim": 8,
    "down_block_types": ["DownBlock2D", "AttnDownBlock2D"], "up_block_types": ["AttnUpBlock2D", "UpBlock2D"],
    "num_class_embeds": 3,
}


def chunk(kind, payload):
    body = kind + payload
    return struct.pack(">I", len(payload)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)


def png(side, pixels):
    raw = b"".join(b"\x00" + bytes(pixels[y * side:(y + 1) * side]) for y in range(side))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def main():
    work = sys.argv[1]
    per_class = int(sys.argv[2]) if len(sys.argv) > 2 else 4
    for c, name in enumerate(["normal", "finding"]):
        os.makedirs(os.path.join(work, "data", name))
        for i in range(per_class):
            pixels = [int(127.5 + 127 * math.sin(0.3 * x * (c + 1) + 0.2 * y * (i % 4 + 1) + i))
                      for y in range(16) for x in range(16)]
            with open(os.path.join(work, "data", name, f"{i}.png"), "wb") as handle:
                handle.write(png(16, pixels))
    with open(os.path.join(work, "unet.json"), "w") as handle:
        json.dump(UNET, handle)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Writes the seed corpora under Tests/Fuzz/corpus/<harness>/ (stdlib only).

Each seed is a small valid file; libFuzzer mutates from there. Re-running rewrites
the same bytes, so the committed corpus can be regenerated and diffed.
"""
import json
import os
import struct
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.join(HERE, "corpus")


def write(harness, name, data):
    folder = os.path.join(CORPUS, harness)
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, name), "wb") as handle:
        handle.write(data)


# ---------------------------------------------------------------- PNG
def chunk(kind, payload):
    body = kind + payload
    return struct.pack(">I", len(payload)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)


def png(width, height, bit_depth, color_type, rows, extra=b"", interlace=0):
    """`rows` are the raw scanline bytes without filter bytes (filter 0 is added);
    `extra` holds chunks placed between IHDR and IDAT (PLTE, tRNS, gAMA...)."""
    raw = b"".join(b"\x00" + row for row in rows)
    ihdr = struct.pack(">IIBBBBB", width, height, bit_depth, color_type, 0, 0, interlace)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + extra
            + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))


def packed_row(values, bits):
    """Packs sub-byte samples MSB first."""
    out, acc, used = bytearray(), 0, 0
    for value in values:
        acc = (acc << bits) | value
        used += bits
        if used == 8:
            out.append(acc)
            acc, used = 0, 0
    if used:
        out.append(acc << (8 - used))
    return bytes(out)


def png_seeds():
    w = h = 8
    gray8 = [bytes((x * 32 + y * 4) & 0xFF for x in range(w)) for y in range(h)]
    write("png", "gray8.png", png(w, h, 8, 0, gray8))
    gray16 = [b"".join(struct.pack(">H", (x * 8191 + y * 997) & 0xFFFF) for x in range(w)) for y in range(h)]
    write("png", "gray16.png", png(w, h, 16, 0, gray16))
    for bits in (1, 2, 4):
        rows = [packed_row([(x + y) % (1 << bits) for x in range(w)], bits) for y in range(h)]
        write("png", f"gray{bits}.png", png(w, h, bits, 0, rows))
    rgb = [bytes(v for x in range(w) for v in (x * 30, y * 30, (x ^ y) * 16)) for y in range(h)]
    write("png", "rgb8.png", png(w, h, 8, 2, rgb, extra=chunk(b"gAMA", struct.pack(">I", 45455))))
    rgb16 = [b"".join(struct.pack(">HHH", x * 8000, y * 8000, 65535 - x * 4000) for x in range(4)) for y in range(4)]
    write("png", "rgb16.png", png(4, 4, 16, 2, rgb16))
    rgba = [bytes(v for x in range(w) for v in (x * 30, y * 30, 90, 255 - x * 20)) for y in range(h)]
    write("png", "rgba8.png", png(w, h, 8, 6, rgba))
    gray_alpha16 = [b"".join(struct.pack(">HH", x * 9000, 65535 - y * 5000) for x in range(4)) for y in range(4)]
    write("png", "gray_alpha16.png", png(4, 4, 16, 4, gray_alpha16))
    palette = bytes(v for i in range(4) for v in (i * 80, 255 - i * 60, i * 20))
    trns = bytes([255, 128, 0, 255])
    rows = [packed_row([(x + 2 * y) % 4 for x in range(w)], 2) for y in range(h)]
    write("png", "palette2_trns.png",
          png(w, h, 2, 3, rows, extra=chunk(b"PLTE", palette) + chunk(b"tRNS", trns)))
    # Adam7-interlaced 2×2 8-bit gray. Passes 2–5 start beyond a 2×2 image, so the data
    # is pass 1 = pixel (0,0), pass 6 = pixel (1,0), pass 7 = row 1; each row has a filter byte.
    pass_rows = [b"\x00\x10",            # pass 1: pixel (0,0)
                 b"\x00\x20",            # pass 6: pixel (1,0)
                 b"\x00\x30\x40"]        # pass 7: row 1, pixels (0,1),(1,1)
    raw = b"".join(pass_rows)
    ihdr = struct.pack(">IIBBBBB", 2, 2, 8, 0, 0, 0, 1)
    write("png", "interlaced2x2.png", b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr)
          + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))


# ---------------------------------------------------------------- safetensors
def safetensors(tensors, metadata=None):
    """`tensors`: list of (name, dtype, shape, raw bytes)."""
    header, data, offset = {}, b"", 0
    if metadata is not None:
        header["__metadata__"] = metadata
    for name, dtype, shape, raw in tensors:
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [offset, offset + len(raw)]}
        data += raw
        offset += len(raw)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    return struct.pack("<Q", len(text)) + text + data


def safetensors_seeds():
    f32 = struct.pack("<4f", 1.0, -2.5, 0.0, 3.25)
    write("safetensors", "f32.safetensors", safetensors(
        [("conv.weight", "F32", [2, 2], f32), ("conv.bias", "F32", [2], struct.pack("<2f", 0.5, -0.5))],
        metadata={"format": "pt"}))
    write("safetensors", "mixed.safetensors", safetensors([
        ("half", "F16", [3], struct.pack("<3H", 0x3C00, 0x8001, 0x7C00)),
        ("brain", "BF16", [2], struct.pack("<2H", 0x3F80, 0xC000)),
        ("steps", "I64", [1], struct.pack("<q", 42)),
        ("ids", "I32", [2], struct.pack("<2i", -1, 7)),
        ("mask", "BOOL", [2], b"\x01\x00"),
        ("bytes", "U8", [0], b""),
        ("wide", "F64", [1], struct.pack("<d", 1.5)),
        ("scalar", "F32", [], struct.pack("<f", 9.0)),
    ]))
    write("safetensors", "empty.safetensors", safetensors([]))


# ---------------------------------------------------------------- configs
def json_seed(harness, name, obj):
    write(harness, name, (json.dumps(obj, indent=1, sort_keys=True) + "\n").encode())


def config_seeds():
    tiny = {"_class_name": "UNet2DModel", "sample_size": 16, "in_channels": 1, "out_channels": 1,
            "block_out_channels": [8, 16], "layers_per_block": 1, "norm_num_groups": 4,
            "down_block_types": ["DownBlock2D", "AttnDownBlock2D"],
            "up_block_types": ["AttnUpBlock2D", "UpBlock2D"], "attention_head_dim": 8}
    json_seed("unet_config", "tiny.json", tiny)
    json_seed("unet_config", "class_cond.json", dict(tiny, num_class_embeds=3, dropout=0.1,
                                                     sample_size=[16, 16], freq_shift=1, flip_sin_to_cos=False))
    json_seed("unet_config", "no_mid.json", dict(tiny, mid_block_type=None, attention_head_dim=None,
                                                 time_embedding_dim=64, attn_norm_num_groups=2,
                                                 _diffusers_version="0.42.1", extra_key=[1, {"a": None}]))
    write("unet_config", "minimal.json", b'{"sample_size": 8}')
    with open(os.path.join(HERE, "..", "..", "Weights", "medimg-64", "unet_config.json"), "rb") as handle:
        write("unet_config", "medimg64.json", handle.read())

    json_seed("scheduler_config", "ddpm.json", {
        "_class_name": "DDPMScheduler", "_diffusers_version": "0.42.1", "beta_end": 0.02,
        "beta_schedule": "linear", "beta_start": 0.0001, "clip_sample": True, "clip_sample_range": 1.0,
        "dynamic_thresholding_ratio": 0.995, "num_train_timesteps": 1000, "prediction_type": "epsilon",
        "rescale_betas_zero_snr": False, "sample_max_value": 1.0, "steps_offset": 0, "thresholding": False,
        "timestep_spacing": "leading", "trained_betas": None, "variance_type": "fixed_small"})
    json_seed("scheduler_config", "ddim.json", {
        "_class_name": "DDIMScheduler", "beta_schedule": "scaled_linear", "prediction_type": "v_prediction",
        "timestep_spacing": "trailing", "set_alpha_to_one": False, "steps_offset": 1, "num_train_timesteps": 50})
    # diffusers writes a bare -Infinity for lambda_min_clipped.
    write("scheduler_config", "dpm.json", (
        '{"_class_name": "DPMSolverMultistepScheduler", "algorithm_type": "dpmsolver++", '
        '"beta_schedule": "squaredcos_cap_v2", "euler_at_final": false, "final_sigmas_type": "zero", '
        '"lambda_min_clipped": -Infinity, "lower_order_final": true, "solver_order": 2, '
        '"solver_type": "heun", "use_karras_sigmas": false, "variance_type": null}\n').encode())
    write("scheduler_config", "sigmoid.json", b'{"_class_name": "DDPMScheduler", "beta_schedule": "sigmoid", "num_train_timesteps": 2}')


if __name__ == "__main__":
    png_seeds()
    safetensors_seeds()
    config_seeds()
    total = sum(os.path.getsize(os.path.join(root, name))
                for root, _, names in os.walk(CORPUS) for name in names)
    print(f"corpus: {total} bytes")

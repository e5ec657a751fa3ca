#!/usr/bin/env bash
# Trains the shipped model on an ImageFolder of the six MRI/CT classes (default: the
# set Weights/data/make_medimg.sh writes) with phantom train's default recipe
# (v-prediction, min-SNR-γ 5, peak lr 1e-3) and copies the EMA model into Weights/medimg-64.
# TIME_LIMIT (default 118m) stops and checkpoints; run the script again to continue.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
data="${1:-/tmp/phantom-medimg/train}"
run="${RUN:-/tmp/phantom-medimg-run}"
"$root/.build/release/phantom" train "$data" --out "$run" --resume \
    --unet-config "$here/unet_config.json" --resolution 64 --batch-size 16 \
    --warmup-steps 200 --steps 3800 --checkpoint-every 250 --keep-checkpoints 2 --sample-every 500 \
    --log-every 25 --seed 1 --time-limit "${TIME_LIMIT:-118m}"
for item in model_index.json phantom.json unet scheduler; do
    rm -rf "$here/$item"
    cp -r "$run/model/$item" "$here/$item"
done
cp "$run/metrics.jsonl" "$here/metrics.jsonl"
echo "copied the EMA model of $run into $here"

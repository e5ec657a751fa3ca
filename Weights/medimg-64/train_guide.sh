#!/usr/bin/env bash
# Trains the shipped model's autoguidance guide (Weights/medimg-64/guide): the same data,
# recipe and classes as the model, a quarter of the width (guide_unet_config.json, 1.09 M
# parameters) and a sixth of the images — a cosine schedule planned over 1,000 steps of 16,
# stopped after 500 (its EMA weights then). About 10 minutes on 2 cores.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
data="${1:-/tmp/phantom-medimg/train}"
run="${RUN:-/tmp/phantom-medimg-guide-run}"
"$root/.build/release/phantom" train "$data" --out "$run" \
    --unet-config "$here/guide_unet_config.json" --resolution 64 --batch-size 16 \
    --warmup-steps 100 --steps 1000 --stop-after-steps 500 --log-every 25 --seed 1
rm -rf "$here/guide"
mkdir -p "$here/guide"
for item in model_index.json phantom.json unet scheduler; do cp -r "$run/model/$item" "$here/guide/$item"; done
cp "$run/metrics.jsonl" "$here/guide/metrics.jsonl"
echo "copied the EMA model of $run (step 500) into $here/guide"

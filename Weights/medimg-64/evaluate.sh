#!/usr/bin/env bash
# Samples the shipped model with each sampler and measures the samples with
# `phantom evaluate` against the real scans (the table in README.md here).
#   DATA: the scans' ImageFolder root holding train/ and test/ (default /tmp/medimg/scans)
#   PER_CLASS: samples per class for the default sampler (100); OTHERS_PER_CLASS for the others (20)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
phantom="$root/.build/release/phantom"
data="${DATA:-/tmp/medimg/scans}"
out="${OUT:-/tmp/medimg-eval}"
per_class="${PER_CLASS:-100}"
others="${OTHERS_PER_CLASS:-20}"
mkdir -p "$out"
run_sampler() {  # name scheduler steps per-class
    local dir="$out/$1"
    [ -f "$dir/manifest.json" ] || "$phantom" sample "$here" --out "$dir" --per-class "$4" --scheduler "$2" --steps "$3" --seed 1
    "$phantom" evaluate --real "$data/test" --samples "$dir" --train "$data/train" --net "$out/feature-net.safetensors" \
        --json "$out/$1.json" ${5:-} | tee "$out/$1.txt"
}
run_sampler dpmpp25 dpmpp 25 "$per_class" "--utility --limit-real 20 --seeds 3 --html $out/dpmpp25.html"
run_sampler ddim50 ddim 50 "$others"
run_sampler ddpm100 ddpm 100 "$others"

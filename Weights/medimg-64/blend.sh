#!/usr/bin/env bash
# Rebuilds this folder's U-Net as shipped since stop 31 (model card, "Default since stop 31"):
# 1. BASE: this folder with the U-Net it held before (git commit a4a1337, the 2,944-step
#    model of train.sh);
# 2. the class-balanced fine-tune of BASE (finetune.sh: 1,500 steps, about 26 minutes on 2 cores);
# 3. `phantom blend BASE TUNED --weight 0.6`: 0.4·BASE + 0.6·TUNED, weight by weight.
# Writes OUT (default /tmp/medimg-64-blend). The shipped weights were fine-tuned before training
# passes were grouped (UNet2D.trainingPass), so a re-run differs from them by rounding.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
data="${1:-/tmp/phantom-medimg/train}"
base="${BASE:-/tmp/medimg-64-base}"
tuned="${TUNED:-/tmp/medimg-64-finetuned}"
out="${OUT:-/tmp/medimg-64-blend}"
rm -rf "$base"
cp -r "$here" "$base"
git -C "$root" show a4a1337:Weights/medimg-64/unet/diffusion_pytorch_model.safetensors \
    > "$base/unet/diffusion_pytorch_model.safetensors"
BASE="$base" OUT="$tuned" bash "$here/finetune.sh" "$data" "${2:-$(dirname "$data")/test}"
"$root/.build/release/phantom" blend "$base" "$tuned" --weight 0.6 --out "$out"

#!/usr/bin/env bash
# The DP utility experiment of Benchmarks/privacy/README.md: three arms (no DP, ε = 10, ε = 1)
# on Fashion-MNIST at 32×32, the same steps (the DP arms take 17–19% more CPU), then phantom sample +
# phantom evaluate with train-on-synthetic utility. IDX: the idx folder of Debian's
# dataset-fashion-mnist; OUT: a scratch folder. The arms run one after another here
# (the measured runs: each arm 1 thread; the two DP arms side by side).
# INIT (optional): a model folder every arm starts from (--init-from), e.g. the public-digits
# model of pretrain_public.sh; ARMS (default "nodp eps10 eps1") picks the arms.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
P="${PHANTOM:-$root/.build/release/phantom}"   # a copy keeps a rebuild from changing the binary mid-run
idx="${IDX:?set IDX to the fashion-mnist idx folder}"
out="${OUT:-/tmp/phantom-fmnist}"
steps="${STEPS:-520}"
python3 "$here/make_fashion_mnist.py" "$idx" "$out/full" --test-per-class 200
python3 "$here/make_fashion_mnist.py" "$idx" "$out/eval" --train-per-class 600 --test-per-class 200
init=(); [ -n "${INIT:-}" ] && init=(--init-from "$INIT")
for arm in ${ARMS:-nodp eps10 eps1}; do
  case $arm in nodp) dp=();; eps10) dp=(--dp-epsilon 10);; eps1) dp=(--dp-epsilon 1);; esac
  /usr/bin/time -f "%U %S %e" -o "$out/$arm.time" "$P" train "$out/full/train" --out "$out/runs/$arm" --preset tiny \
      --batch-size 64 --steps "$steps" --warmup-steps 30 --checkpoint-every 100 --log-every 10 --seed 1 --threads 1 "${init[@]}" "${dp[@]}"
  "$P" sample "$out/runs/$arm/model" --out "$out/samples/$arm" --per-class 100 --seed 1
  "$P" evaluate --real "$out/eval/test" --samples "$out/samples/$arm" --train "$out/eval/train" \
      --net "$out/eval/feature-net.safetensors" --utility --limit-real 100 --seeds 1 --json "$out/$arm.json" | tee "$out/$arm.txt"
done
